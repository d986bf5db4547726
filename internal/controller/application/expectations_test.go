package application

import (
	"testing"
	"time"
)

func TestExpectations(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	var e expectations
	e.expect("argocd/a", []string{"10", "11"}, at(0))
	// The cache still shows a version the writes replaced: behind.
	if !e.stale("argocd/a", "11", at(1)) {
		t.Error("a replaced version was not taken as stale")
	}
	// A newer one: met, and dropped with the map.
	if e.stale("argocd/a", "12", at(2)) || e.m != nil {
		t.Errorf("a met expectation was kept: %v", e.m)
	}
	e.expect("argocd/a", []string{"12"}, at(3))
	// The read at 1 s swept; the next sweep comes a TTL later, at 31 s.
	if e.stale("argocd/c", "1", at(31)) || len(e.m) != 1 {
		t.Errorf("an expectation within its TTL was swept: %v", e.m)
	}
	e.expect("argocd/b", []string{"20"}, at(45))
	// Within a TTL of the last sweep, nothing is swept, expired or not.
	if e.stale("argocd/c", "1", at(50)) || len(e.m) != 2 {
		t.Errorf("swept within a TTL of the last sweep: %v", e.m)
	}
	// After it, any read sweeps out the expired ones, whichever
	// Application it is about.
	if e.stale("argocd/c", "1", at(62)) {
		t.Error("an Application without an expectation was taken as stale")
	}
	if _, kept := e.m["argocd/a"]; kept {
		t.Error("an expired expectation outlived the sweep")
	}
	if _, kept := e.m["argocd/b"]; !kept {
		t.Error("an expectation within its TTL was swept")
	}
	// The last one gone, so is the map.
	if e.stale("argocd/b", "21", at(63)) || e.m != nil {
		t.Errorf("the map outlived its last expectation: %v", e.m)
	}
	e.expect("argocd/d", []string{"30"}, at(64))
	e.forget("argocd/d")
	if e.m != nil {
		t.Errorf("the map outlived its last expectation: %v", e.m)
	}
}
