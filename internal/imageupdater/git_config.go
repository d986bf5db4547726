package imageupdater

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Keys of ConfigMapName that configure write-back commits.
const (
	GitUserKey                  = "git.user"
	GitEmailKey                 = "git.email"
	GitCommitMessageTemplateKey = "git.commit-message-template"
)

// ReadGitConfig reads the commit author and message template from the
// ConfigMap in namespace; a missing ConfigMap or key means the defaults.
// A template that does not parse is an error naming the ConfigMap.
func ReadGitConfig(ctx context.Context, c client.Reader, namespace string) (GitConfig, error) {
	var cm corev1.ConfigMap
	err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ConfigMapName}, &cm)
	if apierrors.IsNotFound(err) {
		return GitConfig{}, nil
	}
	if err != nil {
		return GitConfig{}, fmt.Errorf("read ConfigMap %s/%s: %w", namespace, ConfigMapName, err)
	}
	g := GitConfig{User: cm.Data[GitUserKey], Email: cm.Data[GitEmailKey], MessageTemplate: cm.Data[GitCommitMessageTemplateKey]}
	if _, err := CommitMessage(g.MessageTemplate, "app", nil); err != nil {
		return GitConfig{}, fmt.Errorf("ConfigMap %s/%s: %w", namespace, ConfigMapName, err)
	}
	return g, nil
}
