package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

func TestLogParamsAreDefaultsOfTheFlags(t *testing.T) {
	params := map[string]string{"controller.log.level": "debug", "controller.log.format": "json", "server.log.level": "error"}
	tests := []struct {
		name, component     string
		args                []string
		params              map[string]string
		wantLevel, wantForm string
	}{
		{"no keys: the flags' defaults", "controller", nil, nil, "info", "text"},
		{"the component's keys", "controller", nil, params, "debug", "json"},
		{"another component's keys", "server", nil, params, "error", "text"},
		{"a flag wins", "controller", []string{"--log-level=warn"}, params, "warn", "json"},
		{"a flag given its default value wins too", "controller", []string{"--log-format=text"}, params, "debug", "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o logOptions
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			o.BindFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			o.withParams(tt.params, tt.component)
			if diff := cmp.Diff([]string{tt.wantLevel, tt.wantForm}, []string{o.level, o.format}); diff != "" {
				t.Errorf("level, format (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLogParamErrorsNameTheKey(t *testing.T) {
	var o logOptions
	o.BindFlags(pflag.NewFlagSet("test", pflag.ContinueOnError))
	o.withParams(map[string]string{"controller.log.format": "logfmt"}, "controller")
	_, err := o.logger(nil)
	if want := `argocd-cmd-params-cm controller.log.format "logfmt"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v, want one containing %q", err, want)
	}
}
