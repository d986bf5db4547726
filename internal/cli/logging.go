package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/capstan-cd/capstan/internal/settings"
)

// logOptions are Argo CD's --log-level and --log-format.
type logOptions struct {
	level  string
	format string
	// flags tells which of them were given.
	flags *pflag.FlagSet
	// from names where a value came from, by flag, for errors: the key
	// of argocd-cmd-params-cm, when not the flag.
	from map[string]string
}

// source names where the value of flag came from.
func (o *logOptions) source(flag string) string {
	if key, ok := o.from[flag]; ok {
		return settings.CmdParams + " " + key
	}
	return "--" + flag
}

func (o *logOptions) BindFlags(fs *pflag.FlagSet) {
	o.flags = fs
	fs.StringVar(&o.level, "log-level", "info", "log level: debug, info, warn or error (default: <component>.log.level of argocd-cmd-params-cm, else info)")
	fs.StringVar(&o.format, "log-format", "text", "log format: text (key=value) or json (default: <component>.log.format of argocd-cmd-params-cm, else text)")
}

// withParams takes the level and the format that were not given as flags
// from argocd-cmd-params-cm's keys <component>.log.level and
// <component>.log.format, as Argo CD's components do: a flag wins.
func (o *logOptions) withParams(params map[string]string, component string) {
	for flag, into := range map[string]*string{"log-level": &o.level, "log-format": &o.format} {
		key := component + "." + strings.ReplaceAll(flag, "-", ".")
		if v := strings.TrimSpace(params[key]); v != "" && (o.flags == nil || !o.flags.Changed(flag)) {
			*into = v
			if o.from == nil {
				o.from = map[string]string{}
			}
			o.from[flag] = key
		}
	}
}

// readParams reads argocd-cmd-params-cm of namespace once, before the
// settings are watched: the logger they choose logs the watch itself. A
// missing ConfigMap is no parameters.
func readParams(ctx context.Context, cfg *rest.Config, namespace string) (map[string]string, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	cm, err := cs.CoreV1().ConfigMaps(namespace).Get(ctx, settings.CmdParams, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read %s/%s: %w", namespace, settings.CmdParams, err)
	}
	return cm.Data, nil
}

// install reads argocd-cmd-params-cm's log keys of component as the
// defaults of the log flags, and makes the logger they choose, writing to
// standard error, the logger of controller-runtime and of client-go (its
// leader election and warnings then log in the same format).
func (o *logOptions) install(ctx context.Context, cfg *rest.Config, namespace, component string) error {
	params, err := readParams(ctx, cfg, namespace)
	if err != nil {
		return err
	}
	o.withParams(params, component)
	logger, err := o.logger(os.Stderr)
	if err != nil {
		return err
	}
	// client-go's leader election logs through klog, or through the
	// logger its context carries: both go through releasedLease.
	ctrl.SetLogger(logr.New(releasedLease{logger.GetSink()}))
	klog.SetLogger(logr.New(releasedLease{logger.GetSink()}))
	return nil
}

// releasedLease logs at info what the leader election reports as an error
// when capstan stops, since a stop asked for is not an error:
//   - a manager that gives its lease back as it stops
//     (LeaderElectionReleaseOnCancel) reports its own release, seen as
//     "leader election lost" once the stop has begun;
//   - a renewal under way when the stop cancels it reports that it could
//     not read the lease, for "context canceled".
//
// A lease lost while running ends the manager with that error before any
// stop, and a lease that cannot be read for any other reason, are logged
// as errors.
type releasedLease struct{ logr.LogSink }

func (s releasedLease) Error(err error, msg string, kv ...any) {
	switch {
	case msg == "error received after stop sequence was engaged" && err != nil && err.Error() == "leader election lost":
		if s.Enabled(0) {
			s.LogSink.Info(0, "leader election released at stop", kv...)
		}
	case msg == "Error retrieving lease lock" && errors.Is(err, context.Canceled):
		if s.Enabled(0) {
			s.LogSink.Info(0, "lease renewal cancelled at stop", kv...)
		}
	default:
		s.LogSink.Error(err, msg, kv...)
	}
}

func (s releasedLease) WithName(name string) logr.LogSink {
	return releasedLease{s.LogSink.WithName(name)}
}

func (s releasedLease) WithValues(kv ...any) logr.LogSink {
	return releasedLease{s.LogSink.WithValues(kv...)}
}

// logLevels maps --log-level to slog's levels. logr's V(1) lines are
// slog's level -1, so debug shows them all; capstan logs no warnings of its
// own, so warn shows errors only.
var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// logger is the logger the flags ask for, writing to w.
func (o *logOptions) logger(w io.Writer) (logr.Logger, error) {
	level, ok := logLevels[o.level]
	if !ok {
		return logr.Logger{}, fmt.Errorf("%s %q: want debug, info, warn or error", o.source("log-level"), o.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch o.format {
	case "text":
		return logr.FromSlogHandler(slog.NewTextHandler(w, opts)), nil
	case "json":
		return logr.FromSlogHandler(slog.NewJSONHandler(w, opts)), nil
	}
	return logr.Logger{}, fmt.Errorf("%s %q: want text or json", o.source("log-format"), o.format)
}
