package imageupdater

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"text/template"
)

// Defaults of the Git write-back's commit.
const (
	DefaultGitUser  = "argocd-image-updater"
	DefaultGitEmail = "noreply@argoproj.io"
	// DefaultCommitMessageTemplate is the commit message, per Application.
	DefaultCommitMessageTemplate = `build: automatic update of {{ .AppName }}
{{ range .AppChanges }}
updates image {{ .Image }} tag '{{ .OldTag }}' to '{{ .NewTag }}'
{{- end }}
`
	// maxBranchName caps a templated branch name.
	maxBranchName = 255
)

// branchData is what a git-branch template reads.
type branchData struct {
	Images []branchImage
	// SHA256 is a hash of the changes, the same for the same changes.
	SHA256 string
}

type branchImage struct {
	Name, Alias, OldTag, NewTag string
}

// BranchName renders a git-branch target template over an Application's
// updates; the result is cut at 255 characters.
func BranchName(tmpl string, updates []Update) (string, error) {
	if !strings.Contains(tmpl, "{{") {
		return tmpl, nil
	}
	t, err := template.New("branch").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("git-branch template: %w", err)
	}
	data := branchData{}
	h := sha256.New()
	for _, u := range updates {
		data.Images = append(data.Images, branchImage{Name: u.Image, Alias: u.Alias, OldTag: u.From, NewTag: u.Version()})
		fmt.Fprintf(h, "%s:%s:%s\n", u.Image, u.From, u.Version())
	}
	data.SHA256 = hex.EncodeToString(h.Sum(nil))
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("git-branch template: %w", err)
	}
	name := strings.TrimSpace(b.String())
	if len(name) > maxBranchName {
		name = name[:maxBranchName]
	}
	if name == "" {
		return "", fmt.Errorf("git-branch template %q gives an empty branch name", tmpl)
	}
	return name, nil
}

// messageData is what the commit message template reads.
type messageData struct {
	AppName    string
	AppChanges []messageChange
}

type messageChange struct {
	Image, OldTag, NewTag string
}

// CommitMessage renders the commit message template (empty means the
// default) for one Application's updates.
func CommitMessage(tmpl, app string, updates []Update) (string, error) {
	if tmpl == "" {
		tmpl = DefaultCommitMessageTemplate
	}
	t, err := template.New("commit").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("git.commit-message-template: %w", err)
	}
	data := messageData{AppName: app}
	for _, u := range updates {
		data.AppChanges = append(data.AppChanges, messageChange{Image: u.Image, OldTag: u.From, NewTag: u.Version()})
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("git.commit-message-template: %w", err)
	}
	return b.String(), nil
}
