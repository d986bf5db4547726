package cli

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// newApplications are the Applications `app create` sends: those of -f, or
// one named by the argument, with the flags written over them.
func newApplications(args []string, file string, readFile func(string) ([]*v1alpha1.Application, error), f *appSpecFlags, changed func(string) bool, finalizer bool) ([]*v1alpha1.Application, error) {
	var apps []*v1alpha1.Application
	switch {
	case file != "":
		found, err := readFile(file)
		if err != nil {
			return nil, err
		}
		if len(args) == 1 && len(found) == 1 {
			found[0].Name = args[0]
		}
		apps = found
	case len(args) == 1:
		ns, name := splitAppName(args[0])
		apps = []*v1alpha1.Application{{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Application"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		}}
	default:
		return nil, errors.New("name the Application, or give -f FILE")
	}
	for _, app := range apps {
		if err := f.apply(app, changed); err != nil {
			return nil, fmt.Errorf("application %s: %w", app.Name, err)
		}
		if app.Spec.Project == "" {
			app.Spec.Project = "default"
		}
		if finalizer && !slices.Contains(app.Finalizers, v1alpha1.ResourcesFinalizer) {
			app.Finalizers = append(app.Finalizers, v1alpha1.ResourcesFinalizer)
		}
	}
	return apps, nil
}

func newAppCreateCommand(o *clientOptions) *cobra.Command {
	var (
		f         appSpecFlags
		file      string
		upsert    bool
		finalizer bool
	)
	cmd := &cobra.Command{
		Use:   "create APPNAME",
		Short: "Create an Application from flags, or from a file with -f",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			readFile := func(name string) ([]*v1alpha1.Application, error) { return readApplications(name, cmd.InOrStdin()) }
			apps, err := newApplications(args, file, readFile, &f, cmd.Flags().Changed, finalizer)
			if err != nil {
				return err
			}
			for _, app := range apps {
				if err := o.create(cmd.Context(), appsPath, upsert, app); err != nil {
					return err
				}
				_, _ = fmt.Fprintf(cmd.OutOrStdout(), "application '%s' created\n", app.Name)
			}
			return nil
		},
	}
	f.bind(cmd.Flags())
	cmd.Flags().StringVarP(&file, "file", "f", "", "file with one or more Applications, - for standard input")
	cmd.Flags().BoolVar(&upsert, "upsert", false, "replace an Application of the same name with a different spec")
	cmd.Flags().BoolVar(&finalizer, "set-finalizer", false, "delete the Application's objects when it is deleted (the resources finalizer)")
	return cmd
}

func newAppSetCommand(o *clientOptions) *cobra.Command {
	var f appSpecFlags
	cmd := &cobra.Command{
		Use:   "set APPNAME",
		Short: "Change an Application's spec with the same flags as create",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.updateApp(cmd, args[0], func(app *v1alpha1.Application) error {
				return f.apply(app, cmd.Flags().Changed)
			})
		},
	}
	f.bind(cmd.Flags())
	return cmd
}

// updateApp reads an Application, changes it and writes it back; the
// resource version makes a concurrent change fail instead of being lost,
// and the change is made again on the fresh Application.
func (o *clientOptions) updateApp(cmd *cobra.Command, qualified string, change func(*v1alpha1.Application) error) error {
	c, err := o.client(cmd.Context())
	if err != nil {
		return err
	}
	ns, name := splitAppName(qualified)
	return retryConflict(cmd.Context(), func() error {
		app, err := c.getApp(cmd.Context(), qualified, "")
		if err != nil {
			return err
		}
		if err := change(app); err != nil {
			return fmt.Errorf("application %s: %w", qualified, err)
		}
		return c.do(cmd.Context(), http.MethodPut, appPath(name), appQuery(ns), app, nil)
	})
}

// unsetFlags are the flags of `app unset`: what to remove from the
// source.
type unsetFlags struct {
	values          []string
	helmParams      []string
	kustomizeImages []string
	namePrefix      bool
	nameSuffix      bool
}

// apply removes what the flags name from app's source.
func (u unsetFlags) apply(app *v1alpha1.Application) error {
	src := app.Spec.Source
	if src == nil {
		return errors.New("the Application has no single source to change")
	}
	if h := src.Helm; h != nil {
		h.ValueFiles = slices.DeleteFunc(h.ValueFiles, func(v string) bool { return slices.Contains(u.values, v) })
		h.Parameters = slices.DeleteFunc(h.Parameters, func(p v1alpha1.HelmParameter) bool { return slices.Contains(u.helmParams, p.Name) })
	}
	if k := src.Kustomize; k != nil {
		k.Images = slices.DeleteFunc(k.Images, func(img v1alpha1.KustomizeImage) bool {
			return slices.Contains(u.kustomizeImages, kustomizeImageName(string(img)))
		})
		if u.namePrefix {
			k.NamePrefix = ""
		}
		if u.nameSuffix {
			k.NameSuffix = ""
		}
	}
	return nil
}

func newAppUnsetCommand(o *clientOptions) *cobra.Command {
	var u unsetFlags
	cmd := &cobra.Command{
		Use:   "unset APPNAME",
		Short: "Remove Helm values files and parameters, or Kustomize overrides, from an Application",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.updateApp(cmd, args[0], u.apply)
		},
	}
	cmd.Flags().StringArrayVar(&u.values, "values", nil, "remove this Helm values file (repeatable)")
	cmd.Flags().StringArrayVarP(&u.helmParams, "parameter", "p", nil, "remove this Helm parameter (repeatable)")
	cmd.Flags().StringArrayVar(&u.kustomizeImages, "kustomize-image", nil, "remove the override of this image (repeatable)")
	cmd.Flags().BoolVar(&u.namePrefix, "nameprefix", false, "remove the Kustomize name prefix")
	cmd.Flags().BoolVar(&u.nameSuffix, "namesuffix", false, "remove the Kustomize name suffix")
	return cmd
}
