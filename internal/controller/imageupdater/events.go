package imageupdater

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"

	iu "github.com/capstan-cd/capstan/internal/imageupdater"
)

// Reasons of the Events the updater records on Applications.
const (
	ReasonImagesUpdated     = "ImagesUpdated"
	ReasonImageUpdateFailed = "ImageUpdateFailed"
)

// record counts the cycle in the metrics and records its Events.
func (u *Updater) record(r *Report) {
	images := 0
	for _, a := range r.Apps {
		images += len(strings.Split(a.App.Annotations[iu.AnnotationImageList], ","))
		if a.Written {
			iu.ObserveUpdated(a.Name(), len(a.Updates))
			if u.Events != nil {
				u.Events.AnnotatedEventf(a.App, updateAnnotations(a.Updates), corev1.EventTypeNormal, ReasonImagesUpdated, "%s", updatedMessage(a))
			}
		}
		if a.Err != nil {
			iu.ObserveError(a.Name())
			if u.Events != nil {
				u.Events.AnnotatedEventf(a.App, nil, corev1.EventTypeWarning, ReasonImageUpdateFailed, "%s", a.Err.Error())
			}
		}
	}
	iu.ObserveCycle(len(r.Apps), images)
}

func updatedMessage(a AppReport) string {
	var parts []string
	for _, u := range a.Updates {
		parts = append(parts, fmt.Sprintf("%s from '%s' to '%s'", u.Image, u.From, u.Version()))
	}
	msg := "Updated image " + strings.Join(parts, ", ")
	if a.Commit != "" {
		msg += " in commit " + a.Commit
	}
	return msg
}

// updateAnnotations describe each image of an ImagesUpdated Event, under
// the keys Argo CD Image Updater uses.
func updateAnnotations(updates []iu.Update) map[string]string {
	out := map[string]string{}
	for i, u := range updates {
		p := fmt.Sprintf("argocd-image-updater.image-%d/", i)
		out[p+"full-image-name"] = u.Reference()
		out[p+"image-name"] = u.Image
		out[p+"old-tag"] = u.From
		out[p+"new-tag"] = u.Version()
	}
	return out
}

// EventSource is the component the updater's Events name as their source.
const EventSource = "capstan-image-updater"

// NewEventRecorder returns a recorder of Events on Applications, sent to
// the cluster of cfg until ctx ends.
func NewEventRecorder(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme) (EventRecorder, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("events client: %w", err)
	}
	// Bounded as the application controller's recorder is, for the same
	// reason (application.EventCorrelation).
	b := record.NewBroadcaster(record.WithContext(ctx), record.WithCorrelatorOptions(record.CorrelatorOptions{LRUCacheSize: 256}))
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: cs.CoreV1().Events("")})
	return b.NewRecorder(scheme, corev1.EventSource{Component: EventSource}), nil
}
