package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/desired"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/sandbox"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/sync"
)

type renderOptions struct {
	files       []string
	local       string
	output      string
	cacheDir    string
	kubeVersion string
	apiVersions []string
	// kustomize is --kustomize-build-options: argocd-cm's
	// kustomize.buildOptions, for a render without the cluster.
	kustomize string
	render    sandbox.Options
}

func newRenderCommand() *cobra.Command {
	o := &renderOptions{output: "yaml", render: sandbox.DefaultOptions()}
	cmd := &cobra.Command{
		Use:   "render -f APP.yaml",
		Short: "Print the objects an Application's sources render to",
		Long: `Reads one or more Applications, fetches each source (or, with --local,
reads the repository from a working tree), renders it as the controller would
(same build environment, same render workers under the same limits; Helm
charts see the Kubernetes version and API versions of --kube-version and
--api-versions where the controller gives them the destination's, and
Kustomize the flags of --kustomize-build-options where the controller
reads argocd-cm's kustomize.buildOptions) and prints the objects in sync
order: hook phase, sync wave, kind order,
namespace, name. Nothing is added to the objects.

Credentials for private repositories come from CAPSTAN_REPO_USERNAME,
CAPSTAN_REPO_PASSWORD and CAPSTAN_REPO_SSH_PRIVATE_KEY_PATH.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "file with one or more Applications, - for standard input (repeatable)")
	cmd.Flags().StringVar(&o.local, "local", "", "render the first source's repository from this working tree instead of fetching it")
	cmd.Flags().StringVarP(&o.output, "output", "o", o.output, "output format: yaml or json")
	cmd.Flags().StringVar(&o.cacheDir, "cache-dir", "", "where fetched repositories and charts are kept (default: the user's cache directory)")
	cmd.Flags().StringVar(&o.kubeVersion, "kube-version", "", "Kubernetes version Helm charts are rendered for")
	cmd.Flags().StringSliceVar(&o.apiVersions, "api-versions", nil, "API versions Helm charts see as available")
	cmd.Flags().StringVar(&o.kustomize, "kustomize-build-options", "", "kustomize build flags, as argocd-cm's kustomize.buildOptions (e.g. \"--load-restrictor LoadRestrictionsNone\")")
	o.render.BindFlags(cmd.Flags())
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func (o *renderOptions) run(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	if o.output != "yaml" && o.output != "json" {
		return fmt.Errorf("unknown output format %q: want yaml or json", o.output)
	}
	_, ignored, _ := render.ParseKustomizeOptions(o.kustomize)
	for _, note := range ignored {
		fmt.Fprintf(stderr, "--kustomize-build-options: %s: not supported by capstan; it has no effect\n", note)
	}
	var apps []*v1alpha1.Application
	for _, f := range o.files {
		found, err := readApplications(f, stdin)
		if err != nil {
			return err
		}
		apps = append(apps, found...)
	}
	objs, err := o.objects(ctx, apps)
	if err != nil {
		return err
	}
	sync.Sort(objs)
	return printObjects(stdout, objs, o.output)
}

// objects renders apps as the controller would, the first source's
// repository read from o.local when set.
func (o *renderOptions) objects(ctx context.Context, apps []*v1alpha1.Application) ([]*unstructured.Unstructured, error) {
	if _, err := source.RepositoryFromEnv("", os.Getenv); err != nil {
		return nil, err
	}
	kustomize, _, err := render.ParseKustomizeOptions(o.kustomize)
	if err != nil {
		return nil, fmt.Errorf("--kustomize-build-options: %w", err)
	}
	fetcher, err := o.fetcher()
	if err != nil {
		return nil, err
	}
	renders, closeRenders, err := newRenderCache(o.render, 64)
	if err != nil {
		return nil, err
	}
	defer closeRenders()
	cluster := desired.Cluster{KubeVersion: o.kubeVersion, APIVersions: o.apiVersions}
	var objs []*unstructured.Unstructured
	for _, app := range apps {
		b := desired.Builder{Fetcher: fetcher, Render: renders.Render, Credentials: envCredentials{}, Kustomize: kustomize}
		if o.local != "" && len(app.Spec.GetSources()) > 0 {
			b.Fetcher = localFetcher{Fetcher: fetcher, dir: o.local, repoURL: app.Spec.GetSources()[0].RepoURL}
		}
		got, err := b.Build(ctx, app, app.Spec.GetSources(), cluster)
		if err != nil {
			return nil, fmt.Errorf("application %s: %w", app.Name, err)
		}
		objs = append(objs, got.Objects...)
	}
	return objs, nil
}

func (o *renderOptions) fetcher() (*source.Fetcher, error) {
	dir := o.cacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("find a cache directory (set --cache-dir): %w", err)
		}
		dir = filepath.Join(base, "capstan")
	}
	// The client runs as its user, who may read their own disk anyway: a
	// file:// repository reveals nothing here.
	git, err := source.NewGit(source.GitOptions{CacheDir: filepath.Join(dir, "git"), AllowFileRepositories: true})
	if err != nil {
		return nil, err
	}
	charts, err := source.NewCharts(source.ChartsOptions{CacheDir: filepath.Join(dir, "charts")})
	if err != nil {
		return nil, err
	}
	return &source.Fetcher{Git: git, Charts: charts}, nil
}

// localFetcher reads sources of the first source's repository from a
// working tree, and fetches the others.
type localFetcher struct {
	desired.Fetcher
	dir, repoURL string
}

func (f localFetcher) Fetch(ctx context.Context, repo source.Repository, src v1alpha1.ApplicationSource) (source.Fetched, error) {
	if source.IsChart(src) || source.NormalizeURL(src.RepoURL) != source.NormalizeURL(f.repoURL) {
		return f.Fetcher.Fetch(ctx, repo, src)
	}
	root, err := filepath.Abs(f.dir)
	return source.Fetched{Root: root}, err
}

// envCredentials are the credentials of the environment, for every
// repository.
type envCredentials struct{}

func (envCredentials) Lookup(repoURL, _ string) (source.Repository, bool) {
	// run checked that the environment reads.
	repo, err := source.RepositoryFromEnv(repoURL, os.Getenv)
	return repo, err == nil
}

// readApplications decodes every document of a file as an Application.
func readApplications(name string, stdin io.Reader) ([]*v1alpha1.Application, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var apps []*v1alpha1.Application
	for i := 0; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i+1, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var app v1alpha1.Application
		if err := yaml.UnmarshalStrict(doc, &app); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i+1, err)
		}
		if app.Kind == "" && app.APIVersion == "" && app.Name == "" {
			continue // a document of comments only
		}
		if app.Kind != "Application" || app.APIVersion != v1alpha1.GroupVersion.String() {
			return nil, fmt.Errorf("%s: document %d is a %s %s, not an %s Application", name, i+1, app.APIVersion, app.Kind, v1alpha1.GroupVersion)
		}
		apps = append(apps, &app)
	}
	if len(apps) == 0 {
		return nil, fmt.Errorf("%s: no Application found", name)
	}
	return apps, nil
}

func printObjects(w io.Writer, objs []*unstructured.Unstructured, format string) error {
	if format == "json" {
		items := make([]map[string]any, len(objs))
		for i, o := range objs {
			items[i] = o.Object
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	}
	for _, o := range objs {
		data, err := yaml.Marshal(o.Object)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "---\n%s", data); err != nil {
			return err
		}
	}
	return nil
}
