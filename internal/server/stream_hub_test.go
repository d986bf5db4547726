package server

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
)

// A subscriber that does not read is dropped once its buffer is full;
// the others get every event, and publishing never waits.
func TestStreamHubDropsSlowSubscriber(t *testing.T) {
	var h streamHub
	slow, cancelSlow := h.subscribe()
	defer cancelSlow()
	fast, cancelFast := h.subscribe()
	defer cancelFast()
	got := 0
	for i := range subscriberBuffer + 10 {
		h.publish(&appEvent{Type: eventModified, App: appcache.Pack(&v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "a"}})})
		select {
		case <-fast.events:
			got++
		default:
			t.Fatalf("event %d did not reach the reading subscriber", i)
		}
	}
	if got != subscriberBuffer+10 {
		t.Errorf("the reading subscriber got %d events, want %d", got, subscriberBuffer+10)
	}
	select {
	case <-slow.gone:
	default:
		t.Fatal("the subscriber that never reads was not dropped")
	}
	select {
	case <-fast.gone:
		t.Error("the reading subscriber was dropped")
	default:
	}
}

func TestAppEventEncoded(t *testing.T) {
	ev := &appEvent{Type: eventDeleted, App: appcache.Pack(&v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "a"}})}
	data, err := ev.encoded()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"result":{"type":"DELETED","application":{"metadata":{"name":"a"},"spec":{"destination":{},"project":""}}}}`
	if string(data) != want {
		t.Errorf("encoded\n%s\nwant\n%s", data, want)
	}
}
