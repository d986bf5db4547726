package imageupdater

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

// secretsNamespace creates a namespace for a test's Secrets.
func secretsNamespace(t *testing.T, secrets ...*corev1.Secret) {
	t.Helper()
	cl := env.Client(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "creds-"}}
	if err := cl.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		s.Namespace = ns.Name
		if err := cl.Create(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFinderSecretCredentials(t *testing.T) {
	reg := registry.Start(t, registry.Options{})
	newPusher(t, reg, "app").tagged(at(1), "1.0.0", "1.1.0")
	image := reg.Host + "/app"
	dockerConfig, _ := json.Marshal(map[string]any{"auths": map[string]any{
		"https://" + reg.Host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(reg.Username + ":" + reg.Password))},
		"ghcr.io":             map[string]string{"username": "someone", "password": "else"},
	}})
	pull := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "regcred"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: dockerConfig},
	}
	field := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "creds"},
		Data:       map[string][]byte{"registry": []byte(reg.Username + ":" + reg.Password), "wrong": []byte(reg.Username + ":nope")},
	}
	// A cluster Secret's config holds a colon, so it reads as
	// user:password; an annotation must not send it to a registry.
	cluster := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "cluster-prod", Labels: map[string]string{"argocd.argoproj.io/secret-type": "cluster"}},
		Data:       map[string][]byte{"config": []byte(`{"bearerToken":"cluster-token"}`)},
	}
	secretsNamespace(t, pull, field, cluster)
	f := NewFinder(FinderOptions{Secrets: env.Client(t)})
	f.SetRegistries(confFor(t, reg))
	tests := []struct {
		name    string
		secret  string
		wantErr string
	}{
		{"dockerconfigjson", "pullsecret:" + pull.Namespace + "/regcred", ""},
		{"secret field", "secret:" + field.Namespace + "/creds#registry", ""},
		{"wrong password", "secret:" + field.Namespace + "/creds#wrong", "401"},
		{"missing field", "secret:" + field.Namespace + "/creds#none", "no field"},
		{"missing secret", "pullsecret:" + field.Namespace + "/none", "not found"},
		{"no credentials", "", "credential"},
		{"a cluster Secret", "secret:" + cluster.Namespace + "/cluster-prod#config", "capstan's own credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			annotations := map[string]string{AnnotationImageList: "app=" + image}
			if tt.secret != "" {
				annotations[AnnotationPrefix+"app.pull-secret"] = tt.secret
			}
			got, err := f.Updates(t.Context(), app(annotations, image+":1.0.0"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || len(got) != 0 {
					t.Errorf("Updates = %+v, %v; want no update and an error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := []Update{{Namespace: "argocd", App: "guestbook", Alias: "app", Image: image, From: "1.0.0", Tag: "1.1.0"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Updates (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFinderEnvCredentials(t *testing.T) {
	reg := registry.Start(t, registry.Options{})
	newPusher(t, reg, "app").tagged(at(1), "1.0.0", "1.1.0")
	image := reg.Host + "/app"
	t.Setenv("GOOD_CREDS", reg.Username+":"+reg.Password)
	t.Setenv("BAD_CREDS", "no-colon")
	// By default an annotation may not name env: or ext: at all.
	refusing := NewFinder(FinderOptions{})
	refusing.SetRegistries(confFor(t, reg))
	for _, creds := range []string{"env:GOOD_CREDS", "ext:/bin/true"} {
		annotations := map[string]string{AnnotationImageList: "app=" + image, AnnotationPrefix + "pull-secret": creds}
		if got, err := refusing.Updates(t.Context(), app(annotations, image+":1.0.0")); err == nil || !strings.Contains(err.Error(), "refused in the pull-secret annotation") {
			t.Errorf("%s in an annotation, not allowed: Updates = %+v, %v; want it refused", creds, got, err)
		}
	}
	f := NewFinder(FinderOptions{AnnotationScripts: true})
	f.SetRegistries(confFor(t, reg))
	for creds, wantErr := range map[string]string{"env:GOOD_CREDS": "", "env:BAD_CREDS": "not user:password", "env:UNSET_CREDS": "not set"} {
		annotations := map[string]string{AnnotationImageList: "app=" + image, AnnotationPrefix + "pull-secret": creds}
		got, err := f.Updates(t.Context(), app(annotations, image+":1.0.0"))
		switch {
		case wantErr == "" && (err != nil || len(got) != 1):
			t.Errorf("%s: Updates = %+v, %v; want one update", creds, got, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%s: error = %v, want one with %q", creds, err, wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "no-colon") {
			t.Errorf("%s: the error shows the variable's value: %v", creds, err)
		}
	}
}

// ecrLoginScript is the article's ecr-login.sh (its command on one line:
// the article's page wraps it).
const ecrLoginScript = `#!/bin/sh
aws ecr --region $AWS_REGION get-authorization-token --output text --query 'authorizationData[].authorizationToken' | base64 -d
`

// awsStandIn writes an aws command that answers get-authorization-token
// like ECR does, with base64 of AWS:<token>, taking each run's token from
// the next line of tokens (the last one repeats), and logs its runs.
func awsStandIn(t *testing.T, tokens ...string) (runs func() int) {
	t.Helper()
	dir := t.TempDir()
	var list strings.Builder
	for _, tok := range tokens {
		fmt.Fprintln(&list, base64.StdEncoding.EncodeToString([]byte("AWS:"+tok)))
	}
	if err := os.WriteFile(filepath.Join(dir, "tokens"), []byte(list.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
want="ecr --region eu-west-1 get-authorization-token --output text --query authorizationData[].authorizationToken"
if [ "$*" != "$want" ]; then echo "unexpected arguments: $*" >&2; exit 2; fi
echo run >> "` + dir + `/runs"
n=$(wc -l < "` + dir + `/runs")
total=$(wc -l < "` + dir + `/tokens")
[ "$n" -gt "$total" ] && n=$total
sed -n "${n}p" "` + dir + `/tokens"
`
	if err := os.WriteFile(filepath.Join(dir, "aws"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("AWS_REGION", "eu-west-1")
	return func() int {
		data, _ := os.ReadFile(filepath.Join(dir, "runs"))
		return strings.Count(string(data), "\n")
	}
}

// ecrRegistry runs a registry that accepts the user AWS with token, and
// a Finder with the article's registries.conf entry pointing at it.
func ecrRegistry(t *testing.T, clk *clocktesting.FakePassiveClock, token string) (image string, f *Finder) {
	t.Helper()
	reg := registry.Start(t, registry.Options{Username: "AWS", Password: token})
	newPusher(t, reg, "admin-api").tagged(at(1), "2.1.0", "2.2.0")
	script := filepath.Join(t.TempDir(), "ecr-login.sh")
	if err := os.WriteFile(script, []byte(ecrLoginScript), 0o755); err != nil {
		t.Fatal(err)
	}
	conf, err := ParseRegistriesConf([]byte(fmt.Sprintf(`registries:
- name: ECR
  api_url: http://%s
  prefix: %s
  default: true
  ping: yes
  insecure: no
  credentials: ext:%s
  credsexpire: 11h
`, reg.Host, reg.Host, script)))
	if err != nil {
		t.Fatal(err)
	}
	f = NewFinder(FinderOptions{Clock: clk})
	f.SetRegistries(conf)
	return reg.Host + "/admin-api", f
}

func TestFinderExtCredentialsECR(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(at(0))
	image, f := ecrRegistry(t, clk, "token-1")
	runs := awsStandIn(t, "token-1")
	annotations := map[string]string{AnnotationImageList: "admin-api=" + image}
	want := []Update{{Namespace: "argocd", App: "guestbook", Alias: "admin-api", Image: image, From: "2.1.0", Tag: "2.2.0"}}
	for range 2 {
		if diff := cmp.Diff(want, updates(t, f, annotations, image+":2.1.0")); diff != "" {
			t.Errorf("Updates (-want +got):\n%s", diff)
		}
	}
	if n := runs(); n != 1 {
		t.Errorf("the script ran %d times within credsexpire, want once", n)
	}
	clk.SetTime(at(0).Add(11 * time.Hour))
	updates(t, f, annotations, image+":2.1.0")
	if n := runs(); n != 2 {
		t.Errorf("the script ran %d times after credsexpire, want twice", n)
	}
}

func TestFinderExtCredentialsRefusedAreFetchedAgain(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(at(0))
	image, f := ecrRegistry(t, clk, "token-2")
	// The first token the script prints has expired already.
	runs := awsStandIn(t, "token-1", "token-2")
	got := updates(t, f, map[string]string{AnnotationImageList: "admin-api=" + image}, image+":2.1.0")
	if len(got) != 1 || got[0].Tag != "2.2.0" {
		t.Errorf("Updates = %+v, want one to 2.2.0 with the fresh token", got)
	}
	if n := runs(); n != 2 {
		t.Errorf("the script ran %d times, want twice (once more after the refusal)", n)
	}
}

func TestExtCredentialsScriptFailures(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	fetch := credentialFetcher{extTimeout: 200 * time.Millisecond}
	tests := []struct {
		name, path, wantErr string
	}{
		{"slow", write("slow.sh", "exec sleep 30"), "ran longer"},
		{"failing", write("fail.sh", "echo 'no credentials configured' >&2; exit 3"), "no credentials configured"},
		{"not user:password", write("token.sh", "echo s3cr3t-token"), "not user:password"},
		{"missing", filepath.Join(dir, "missing.sh"), "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fetch.fetch(t.Context(), CredentialSource{Kind: CredsExt, Path: tt.path}, "example.com", fromRegistriesConf)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one with %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error shows the script's output: %v", err)
			}
		})
	}
}
