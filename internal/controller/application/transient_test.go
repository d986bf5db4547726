package application

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestTransient(t *testing.T) {
	cm := schema.GroupResource{Resource: "configmaps"}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{name: "none", err: nil, want: false},
		{name: "throttled", err: apierrors.NewTooManyRequests("slow down", 1), want: true},
		{name: "server timeout", err: apierrors.NewServerTimeout(cm, "get", 1), want: true},
		{name: "internal error", err: apierrors.NewInternalError(errors.New("etcd")), want: true},
		{name: "unavailable", err: apierrors.NewServiceUnavailable("starting"), want: true},
		{name: "bad gateway, wrapped", err: fmt.Errorf("list live objects: %w", apierrors.NewGenericServerResponse(502, "get", cm, "", "", 0, false)), want: true},
		{name: "git server unreachable", err: fmt.Errorf("resolve: %w", &source.GitError{URL: "https://git.example/a.git", Kind: source.ErrUnreachable}), want: true},
		{name: "connection refused", err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, want: true},
		{name: "network timeout", err: fmt.Errorf("fetch: %w", timeoutError{}), want: true},
		{name: "deadline", err: fmt.Errorf("render: %w", context.DeadlineExceeded), want: true},
		{name: "credentials refused", err: &source.GitError{URL: "https://git.example/a.git", Kind: source.ErrAuth}, want: false},
		{name: "revision not found", err: &source.GitError{URL: "https://git.example/a.git", Kind: source.ErrRevisionNotFound}, want: false},
		{name: "invalid object", err: apierrors.NewInvalid(schema.GroupKind{Kind: "ConfigMap"}, "a", nil), want: false},
		{name: "forbidden", err: apierrors.NewForbidden(cm, "a", errors.New("no")), want: false},
		{name: "bad manifest", err: errors.New("guestbook/cm.yaml: yaml: line 3: mapping values are not allowed"), want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := transient(tc.err); got != tc.want {
				t.Errorf("transient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// A Git server down for a moment does not leave the Application waiting for
// the next poll (an hour here): the reconcile is tried again with backoff
// and the Application syncs once the server answers.
func TestUnreachableRepositoryIsRetriedWithBackoff(t *testing.T) {
	cl, _ := startConfiguredController(t, func(r *Reconciler) { r.Opts.Resync = time.Hour })
	git := gitserver.NewHTTP(t, gitserver.WithBasicAuth("", ""))
	repo := git.NewRepo(t, "gitdown")
	repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("gitdown", nil)}, "one ConfigMap")
	repo.SetHead(t, "main")
	var requests atomic.Int64
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if requests.Add(1) == 1 {
			// Down: the connection closes without an answer.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		git.Handler.ServeHTTP(w, req)
	}))
	t.Cleanup(flaky.Close)

	if err := cl.Create(context.Background(), seedApp("gitdown", flaky.URL+"/gitdown.git", "gitdown")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the unreachable repository to be reported", func(ctx context.Context) (bool, error) {
		return hasCondition(appStatus(t, cl, "gitdown"), v1alpha1.ApplicationConditionComparisonError, "unreachable"), nil
	})
	waitFor(t, "the Application to sync once the server answers", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "gitdown")
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
	})
}

// failingProjects is a client whose reads of AppProjects fail with the
// API server's 503 until fail says otherwise.
type failingProjects struct {
	client.Client
	fail func() bool
}

func (c *failingProjects) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*v1alpha1.AppProject); ok && c.fail() {
		return apierrors.NewServiceUnavailable("the API server is restarting (test)")
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

// An API server that answers 503 for a moment does not leave the
// Application waiting for the next poll either.
func TestFailingAPIServerIsRetriedWithBackoff(t *testing.T) {
	var reads atomic.Int64
	cl, _ := startConfiguredController(t, func(r *Reconciler) {
		r.Opts.Resync = time.Hour
		r.Client = &failingProjects{Client: r.Client, fail: func() bool { return reads.Add(1) <= 3 }}
	})
	repo := gitserver.NewRepo(t, t.TempDir(), "apifail")
	repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("apifail", nil)}, "one ConfigMap")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp("apifail", repo.URL(), "apifail")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Application to sync once the API server answers", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "apifail")
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
	})
	if n := reads.Load(); n < 4 {
		t.Errorf("the project was read %d times, want the 3 failures and a success", n)
	}
}
