package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/settings"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

func TestLogFlagsRefuseUnknownValues(t *testing.T) {
	for _, tc := range []struct {
		name          string
		level, format string
		wantErr       string
	}{
		{name: "defaults", level: "info", format: "text"},
		{name: "debug json", level: "debug", format: "json"},
		{name: "warn", level: "warn", format: "text"},
		{name: "unknown level", level: "verbose", format: "text", wantErr: `--log-level "verbose"`},
		{name: "unknown format", level: "info", format: "logfmt", wantErr: `--log-format "logfmt"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := logOptions{level: tc.level, format: tc.format}
			_, err := o.logger(os.Stderr)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("logger() error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// An operator reads what capstan did in its log, in the format and at the
// level the flags ask for: JSON lines at info name the operation and the
// objects applied and hold no debug line; text lines at debug hold them.
// The Application's Events are there, unless --record-events=false. A
// first start of `capstan run`, which writes its signing key into the
// settings, logs no error.
func TestLogFlags(t *testing.T) {
	for _, tc := range []struct {
		namespace string
		// command is what runs: controller when empty.
		command string
		flags   []string
		// params is argocd-cmd-params-cm's data, when not nil.
		params map[string]string
		events bool
		// line checks every line; want are substrings some line has,
		// and never substrings no line may have.
		line        func(string) error
		want, never []string
	}{
		{namespace: "logs-json", flags: []string{"--log-format", "json", "--log-level", "info"}, events: true,
			line:  func(l string) error { var v map[string]any; return json.Unmarshal([]byte(l), &v) },
			want:  []string{`"msg":"operation started"`, `"msg":"operation completed"`, `"msg":"object applied"`, `"object":"logs-json-guestbook/guestbook-ui"`},
			never: []string{`"level":"DEBUG"`}},
		{namespace: "logs-text", flags: []string{"--log-format", "text", "--log-level", "debug", "--record-events=false"},
			line: func(l string) error {
				if !strings.HasPrefix(l, "time=") {
					return errors.New("no time= first")
				}
				return nil
			},
			want: []string{`level=DEBUG`, `msg="object applied"`, `object=logs-text-guestbook/guestbook-ui`}},
		{namespace: "logs-run", command: "run", flags: []string{"--log-format", "json", "--server-address", "127.0.0.1:0", "--image-updater=false"}, events: true,
			line: func(l string) error { var v map[string]any; return json.Unmarshal([]byte(l), &v) },
			// Whether the manager reports its lease's release at the stop
			// depends on timing: TestReleasedLeaseIsNoError covers it.
			want:  []string{`"msg":"settings applied"`, `"msg":"operation completed"`},
			never: []string{`"level":"ERROR"`}},
		// No flags: argocd-cmd-params-cm chooses.
		{namespace: "logs-params", params: map[string]string{"controller.log.format": "json", "controller.log.level": "debug"}, events: true,
			line: func(l string) error { var v map[string]any; return json.Unmarshal([]byte(l), &v) },
			want: []string{`"level":"DEBUG"`, `"msg":"object applied"`}},
	} {
		t.Run(tc.namespace, func(t *testing.T) {
			cl := logTestApp(t, tc.namespace)
			if tc.params != nil {
				cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: tc.namespace, Name: settings.CmdParams}, Data: tc.params}
				if err := cl.Create(context.Background(), cm); err != nil {
					t.Fatal(err)
				}
			}
			command := cmp.Or(tc.command, "controller")
			r := startCommand(t, command, tc.namespace, tc.namespace, tc.flags...)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			got := &v1alpha1.Application{}
			err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
				if err := cl.Get(ctx, client.ObjectKey{Namespace: tc.namespace, Name: "guestbook"}, got); err != nil {
					return false, err
				}
				op := got.Status.OperationState
				return op != nil && op.Phase == v1alpha1.OperationSucceeded, nil
			})
			if err != nil {
				r.tail(t)
				t.Fatalf("the sync did not finish: %v", err)
			}
			if tc.events {
				waitEvent(ctx, t, tc.namespace, "OperationCompleted")
			}
			if err := r.stop(); err != nil {
				t.Fatal(err)
			}
			if events := appEvents(ctx, t, tc.namespace); !tc.events && len(events) > 0 {
				t.Errorf("Events recorded with --record-events=false: %v", events)
			}
			data, err := os.ReadFile(r.log)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			for _, l := range lines {
				if err := tc.line(l); err != nil {
					t.Errorf("a line not in the format asked for: %v: %.300s", err, l)
					break
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(string(data), w) {
					t.Errorf("no line has %s", w)
				}
			}
			for _, n := range tc.never {
				for _, l := range lines {
					if strings.Contains(l, n) {
						t.Errorf("a line has %s: %.500s", n, l)
					}
				}
			}
		})
	}
}

// appEvents lists the reasons of the Events on the guestbook Application.
func appEvents(ctx context.Context, t *testing.T, namespace string) []string {
	t.Helper()
	list, err := kubernetes.NewForConfigOrDie(env.Config()).CoreV1().Events(namespace).List(ctx,
		metav1.ListOptions{FieldSelector: "involvedObject.kind=Application,involvedObject.name=guestbook"})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, e := range list.Items {
		reasons = append(reasons, e.Reason)
	}
	return reasons
}

// waitEvent waits for an Event of reason on the guestbook Application.
func waitEvent(ctx context.Context, t *testing.T, namespace, reason string) {
	t.Helper()
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		return slices.Contains(appEvents(ctx, t, namespace), reason), nil
	})
	if err != nil {
		t.Fatalf("no %s Event on the Application: %v; Events %v", reason, err, appEvents(context.Background(), t, namespace))
	}
}

// logTestApp creates the control-plane namespace and an automated
// Application of the guestbook there.
func logTestApp(t *testing.T, namespace string) client.Client {
	t.Helper()
	cl := clusterClient(t)
	ctx := context.Background()
	if err := cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		t.Fatal(err)
	}
	repo := gitserver.NewRepo(t, t.TempDir(), namespace)
	repo.Commit(t, "main", guestbook, "guestbook")
	repo.SetHead(t, "main")
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: namespace},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: repo.URL(), TargetRevision: "HEAD", Path: "guestbook"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: namespace + "-guestbook"},
			SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{}, SyncOptions: []string{"CreateNamespace=true"}},
		},
	}
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	return cl
}

// A lease given back at a stop, or whose renewal the stop cancelled, is
// logged at info; any other error, the same lease lost while running or
// unreadable included, stays an error.
func TestReleasedLeaseIsNoError(t *testing.T) {
	var buf bytes.Buffer
	log := logr.New(releasedLease{logr.FromSlogHandler(slog.NewJSONHandler(&buf, nil)).GetSink()}).WithName("manager")
	lost := errors.New("leader election lost")
	for _, tc := range []struct {
		err       error
		msg, want string
		wantLevel string
	}{
		{lost, "error received after stop sequence was engaged", "leader election released at stop", "INFO"},
		{lost, "problem running manager", "problem running manager", "ERROR"},
		{errors.New("timed out"), "error received after stop sequence was engaged", "error received after stop sequence was engaged", "ERROR"},
		{fmt.Errorf("get lease: %w", context.Canceled), "Error retrieving lease lock", "lease renewal cancelled at stop", "INFO"},
		{errors.New("connection refused"), "Error retrieving lease lock", "Error retrieving lease lock", "ERROR"},
	} {
		buf.Reset()
		log.Error(tc.err, tc.msg)
		var line struct{ Level, Msg string }
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatalf("%s: %v: %q", tc.msg, err, buf.String())
		}
		if line.Level != tc.wantLevel || line.Msg != tc.want {
			t.Errorf("%v, %q logged as %s %q, want %s %q", tc.err, tc.msg, line.Level, line.Msg, tc.wantLevel, tc.want)
		}
	}
}
