package sync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/health"
)

// meetingCluster records when each apply starts and ends. An apply of an
// object in meet waits, for a bounded time, until every object of its
// group has started: applies that run at the same time all meet, applies
// run one after the other do not, and say so.
type meetingCluster struct {
	meet map[string][]string // object name: the names of its group
	fail map[string]bool

	mu      gosync.Mutex
	cond    *gosync.Cond
	started map[string]bool
	log     []string
}

func (c *meetingCluster) Apply(_ context.Context, _ Task, obj *unstructured.Unstructured, _ bool) error {
	name := obj.GetName()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, "start "+name)
	c.started[name] = true
	c.cond.Broadcast()
	if group := c.meet[name]; group != nil {
		deadline := time.Now().Add(10 * time.Second)
		timer := time.AfterFunc(10*time.Second, func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.cond.Broadcast()
		})
		defer timer.Stop()
		for !c.allStarted(group) && time.Now().Before(deadline) {
			c.cond.Wait()
		}
		if !c.allStarted(group) {
			c.log = append(c.log, "alone "+name)
		}
	}
	c.log = append(c.log, "end "+name)
	if c.fail[name] {
		return fmt.Errorf("%s refused", name)
	}
	return nil
}

func (c *meetingCluster) allStarted(names []string) bool {
	for _, n := range names {
		if !c.started[n] {
			return false
		}
	}
	return true
}

func (c *meetingCluster) Delete(context.Context, *unstructured.Unstructured, metav1.DeletionPropagation) error {
	return nil
}

func (c *meetingCluster) Get(context.Context, *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	return nil, nil
}

func (c *meetingCluster) Health(*unstructured.Unstructured) (*health.Status, error) { return nil, nil }

func (c *meetingCluster) Applied(*v1alpha1.ResourceResult) *health.Status { return nil }

func (c *meetingCluster) Persist(context.Context, *v1alpha1.OperationState) error { return nil }

// The plain applies of a step run at the same time; a Namespace, a
// ResourceQuota, a ServiceAccount and a CustomResourceDefinition are
// applied alone, after what comes before them and before what comes
// after. The results keep the plan's order,
// and a failed apply fails the operation without stopping the others.
func TestEngineAppliesAStepTogether(t *testing.T) {
	crd := object("CustomResourceDefinition", "", "widgets.example.com", nil)
	crd.SetAPIVersion("apiextensions.k8s.io/v1")
	desired := []*unstructured.Unstructured{
		object("Deployment", "app", "web", nil),
		object("Service", "app", "svc", nil),
		crd,
		object("ConfigMap", "app", "a", nil),
		object("ConfigMap", "app", "b", nil),
		object("ServiceAccount", "app", "runner", nil),
		object("ResourceQuota", "app", "quota", nil),
		object("Namespace", "", "app", nil),
	}
	c := &meetingCluster{
		meet: map[string][]string{
			"a": {"a", "b"}, "b": {"a", "b"},
			"svc": {"svc", "web"}, "web": {"svc", "web"},
		},
		fail:    map[string]bool{"b": true},
		started: map[string]bool{},
	}
	c.cond = gosync.NewCond(&c.mu)
	plan, err := NewPlan(PlanInput{Desired: desired, Options: DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	os := &v1alpha1.OperationState{Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}},
		Phase: v1alpha1.OperationRunning, StartedAt: metav1.NewTime(started)}
	e := &Engine{Cluster: c, Clock: clocktesting.NewFakePassiveClock(started.Add(time.Minute))}
	if err := e.Advance(context.Background(), os, plan, nil); err != nil {
		t.Fatal(err)
	}

	if slices.ContainsFunc(c.log, func(s string) bool { return strings.HasPrefix(s, "alone ") }) {
		t.Errorf("applies of the same group did not run at the same time: %v", c.log)
	}
	// Each group ends before the next begins: the Namespace, the quota,
	// the ServiceAccount, then both ConfigMaps (in either order), then the
	// CRD, then the Service and the Deployment.
	groups := [][]string{{"app"}, {"quota"}, {"runner"}, {"a", "b"}, {"widgets.example.com"}, {"svc", "web"}}
	at := 0
	for _, g := range groups {
		seen := map[string]int{}
		for _, entry := range c.log[at : at+2*len(g)] {
			_, name, _ := strings.Cut(entry, " ")
			seen[name]++
		}
		for _, name := range g {
			if seen[name] != 2 {
				t.Errorf("group %v: %s did not start and end within it: %v", g, name, c.log[at:at+2*len(g)])
			}
		}
		at += 2 * len(g)
	}

	var results []string
	for _, rr := range os.SyncResult.Resources {
		results = append(results, fmt.Sprintf("%s/%s %s", rr.Kind, rr.Name, rr.Status))
	}
	want := []string{"Namespace/app Synced", "ResourceQuota/quota Synced", "ServiceAccount/runner Synced", "ConfigMap/a Synced", "ConfigMap/b SyncFailed", "CustomResourceDefinition/widgets.example.com Synced",
		"Service/svc Synced", "Deployment/web Synced"}
	if diff := cmp.Diff(want, results); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if os.Phase != v1alpha1.OperationFailed || !strings.Contains(os.Message, "b refused") {
		t.Errorf("operation %s %q, want Failed with b's error", os.Phase, os.Message)
	}
}
