package cli

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
)

// logOptions are Argo CD's --log-level and --log-format.
type logOptions struct {
	level  string
	format string
}

func (o *logOptions) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.level, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&o.format, "log-format", "text", "log format: text (key=value) or json")
}

// logLevels maps --log-level to slog's levels. logr's V(1) lines are
// slog's level -1, so debug shows them all; capstan logs no warnings of its
// own, so warn shows errors only.
var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// logger is the logger the flags ask for, writing to w.
func (o *logOptions) logger(w io.Writer) (logr.Logger, error) {
	level, ok := logLevels[o.level]
	if !ok {
		return logr.Logger{}, fmt.Errorf("--log-level %q: want debug, info, warn or error", o.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch o.format {
	case "text":
		return logr.FromSlogHandler(slog.NewTextHandler(w, opts)), nil
	case "json":
		return logr.FromSlogHandler(slog.NewJSONHandler(w, opts)), nil
	}
	return logr.Logger{}, fmt.Errorf("--log-format %q: want text or json", o.format)
}
