package sync

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestRetryAllowed(t *testing.T) {
	tests := []struct {
		strategy *v1alpha1.RetryStrategy
		retries  int64
		want     bool
	}{
		{nil, 0, false},
		{&v1alpha1.RetryStrategy{}, 0, false},
		{&v1alpha1.RetryStrategy{Limit: 2}, 0, true},
		{&v1alpha1.RetryStrategy{Limit: 2}, 1, true},
		{&v1alpha1.RetryStrategy{Limit: 2}, 2, false},
		{&v1alpha1.RetryStrategy{Limit: -1}, 1000, true},
	}
	for _, tt := range tests {
		if got := RetryAllowed(tt.strategy, tt.retries); got != tt.want {
			t.Errorf("RetryAllowed(%+v, %d) = %v, want %v", tt.strategy, tt.retries, got, tt.want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	custom := &v1alpha1.RetryStrategy{Limit: 5, Backoff: &v1alpha1.Backoff{Duration: "2", Factor: ptr.To[int64](3), MaxDuration: "1m"}}
	tests := []struct {
		strategy *v1alpha1.RetryStrategy
		retries  int64
		want     time.Duration
	}{
		{nil, 0, 5 * time.Second},
		{&v1alpha1.RetryStrategy{Limit: 3}, 1, 10 * time.Second},
		{&v1alpha1.RetryStrategy{Limit: 3}, 10, 3 * time.Minute},
		{custom, 0, 2 * time.Second},
		{custom, 2, 18 * time.Second},
		{custom, 3, 54 * time.Second},
		{custom, 4, time.Minute},
	}
	for _, tt := range tests {
		got, err := RetryDelay(tt.strategy, tt.retries)
		if err != nil || got != tt.want {
			t.Errorf("RetryDelay(%+v, %d) = %s, %v; want %s", tt.strategy, tt.retries, got, err, tt.want)
		}
	}
	if _, err := RetryDelay(&v1alpha1.RetryStrategy{Limit: 1, Backoff: &v1alpha1.Backoff{Duration: "soon"}}, 0); err == nil {
		t.Error("a malformed duration was accepted")
	}
}

func TestAutomatedRetry(t *testing.T) {
	custom := &v1alpha1.RetryStrategy{Limit: 2, Backoff: &v1alpha1.Backoff{Duration: "1s"}}
	tests := []struct {
		name   string
		policy *v1alpha1.RetryStrategy
		want   v1alpha1.RetryStrategy
	}{
		{"no retry set: five retries, default backoff", nil, v1alpha1.RetryStrategy{Limit: 5}},
		{"a retry set is used as is", custom, *custom},
		{"a limit of 0 turns retries off", &v1alpha1.RetryStrategy{}, v1alpha1.RetryStrategy{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, AutomatedRetry(tt.policy)); diff != "" {
				t.Errorf("AutomatedRetry (-want +got):\n%s", diff)
			}
		})
	}
	var delays []time.Duration
	for retries := range int64(AutomatedRetryLimit) {
		d, err := RetryDelay(&v1alpha1.RetryStrategy{Limit: AutomatedRetryLimit}, retries)
		if err != nil {
			t.Fatal(err)
		}
		delays = append(delays, d)
	}
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}
	if diff := cmp.Diff(want, delays); diff != "" {
		t.Errorf("default backoff (-want +got):\n%s", diff)
	}
}
