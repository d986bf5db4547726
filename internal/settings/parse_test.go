package settings

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/diff"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// summary is what a test compares of a snapshot: its plain fields, and
// the health the custom checks give a Widget and a child Application.
type summary struct {
	Resync, Jitter    time.Duration
	HardResync        time.Duration
	Tracking          tracking.Policy
	Compare           diff.Options
	Kustomize         render.KustomizeOptions
	AllowFile, Signed bool
	IgnoreDifferences []v1alpha1.ResourceIgnoreDifferences
	Unsupported       []string
	WidgetHealth      string
	AppHealth         string
}

func objectOf(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &obj.Object); err != nil {
		t.Fatal(err)
	}
	return obj
}

func summarize(t *testing.T, s *Settings) summary {
	t.Helper()
	code := func(manifest string) string {
		st, err := s.Health.Of(context.Background(), objectOf(t, manifest))
		if err != nil {
			t.Fatal(err)
		}
		if st == nil {
			return ""
		}
		return string(st.Code) + " " + st.Message
	}
	return summary{
		Resync: s.Resync, Jitter: s.Jitter, HardResync: s.HardResync, Tracking: s.Tracking, Compare: s.Compare, Kustomize: s.Kustomize, AllowFile: s.AllowFileRepositories, Signed: s.WebhookRequireSignature, IgnoreDifferences: s.IgnoreDifferences, Unsupported: s.Unsupported,
		WidgetHealth: code("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nstatus: {phase: Broken}"),
		AppHealth:    code("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: child}\nstatus: {health: {status: Degraded}}"),
	}
}

func defaults(change func(*summary)) summary {
	s := summary{Resync: 120 * time.Second, Jitter: 60 * time.Second, Tracking: tracking.Policy{Method: tracking.MethodAnnotation, LabelKey: "app.kubernetes.io/instance"}}
	if change != nil {
		change(&s)
	}
	return s
}

const widgetLua = `
hs = {}
if obj.status.phase == "Broken" then
  hs.status = "Degraded"
  hs.message = "broken"
  return hs
end
hs.status = "Healthy"
return hs`

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		cm   map[string]string
		want summary
	}{
		{"defaults", nil, defaults(nil)},
		{"timeouts", map[string]string{"timeout.reconciliation": "180s", "timeout.reconciliation.jitter": "0s"},
			defaults(func(s *summary) { s.Resync, s.Jitter = 180*time.Second, 0 })},
		{"tracking method", map[string]string{"application.resourceTrackingMethod": "annotation+label"},
			defaults(func(s *summary) { s.Tracking.Method = tracking.MethodAnnotationAndLabel })},
		{"instance label key", map[string]string{"application.resourceTrackingMethod": "label", "application.instanceLabelKey": " argocd.argoproj.io/instance "},
			defaults(func(s *summary) {
				s.Tracking = tracking.Policy{Method: tracking.MethodLabel, LabelKey: "argocd.argoproj.io/instance"}
			})},
		{"kustomize build options, the unsafe ones listed", map[string]string{"kustomize.buildOptions": "--load-restrictor LoadRestrictionsNone --enable-helm"},
			defaults(func(s *summary) {
				s.Kustomize = render.KustomizeOptions{LoadRestrictionsNone: true}
				s.Unsupported = []string{"argocd-cm: kustomize.buildOptions --enable-helm (kustomize would run the helm program; render the chart with a Helm source)"}
			})},
		{"hard reconciliation", map[string]string{"timeout.hard.reconciliation": "1h"},
			defaults(func(s *summary) { s.HardResync = time.Hour })},
		{"compare options", map[string]string{"resource.compareoptions": "ignoreAggregatedRoles: true\nignoreResourceStatusField: crd\n"},
			defaults(func(s *summary) {
				s.Compare = diff.Options{IgnoreAggregatedRoles: true, IgnoreStatus: diff.StatusOfCRDs}
			})},
		{"compare options: off, and a field capstan does not know", map[string]string{"resource.compareoptions": "ignoreResourceStatusField: 'off'\nignoreDifferencesOnResourceUpdates: true\n"},
			defaults(func(s *summary) {
				s.Compare = diff.Options{IgnoreStatus: diff.StatusOfNone}
				s.Unsupported = []string{"argocd-cm: resource.compareoptions.ignoreDifferencesOnResourceUpdates"}
			})},
		{"capstan keys", map[string]string{"capstan.allowFileRepositories": "true", "capstan.webhook.requireSignature": " true "},
			defaults(func(s *summary) { s.AllowFile, s.Signed = true, true })},
		{"lua health by split key", map[string]string{"resource.customizations.health.example.com_Widget": widgetLua},
			defaults(func(s *summary) { s.WidgetHealth = "Degraded broken" })},
		{"cel health by split key", map[string]string{"resource.customizations.health.example.com_Widget.cel": `obj.status.phase == "Broken" ? {"status": "Suspended", "message": "cel"} : {"status": "Healthy"}`},
			defaults(func(s *summary) { s.WidgetHealth = "Suspended cel" })},
		{"child application health customized", map[string]string{"resource.customizations.health.argoproj.io_Application": `return {status = obj.status.health.status, message = "child"}`},
			defaults(func(s *summary) { s.AppHealth = "Degraded child" })},
		{"block: health.lua, glob, ignoreDifferences as a string and as a mapping", map[string]string{"resource.customizations": `
"*.com/*":
  health.lua: |
    return {status = "Progressing", message = "glob"}
apps/Deployment:
  ignoreDifferences: |
    jsonPointers:
    - /spec/replicas
ConfigMap:
  ignoreDifferences:
    jqPathExpressions: [.data.x]
`}, defaults(func(s *summary) {
			s.WidgetHealth = "Progressing glob"
			s.IgnoreDifferences = []v1alpha1.ResourceIgnoreDifferences{
				{Kind: "ConfigMap", JQPathExpressions: []string{".data.x"}},
				{Group: "apps", Kind: "Deployment", JSONPointers: []string{"/spec/replicas"}},
			}
		})},
		{"block: health.cel", map[string]string{"resource.customizations": "example.com/Widget:\n  health.cel: '{\"status\": \"Unknown\", \"message\": obj.status.phase}'\n"},
			defaults(func(s *summary) { s.WidgetHealth = "Unknown Broken" })},
		{"split key replaces the block", map[string]string{
			"resource.customizations":                           "example.com/Widget:\n  health.lua: 'return {status = \"Healthy\"}'\n",
			"resource.customizations.health.example.com_Widget": widgetLua,
		}, defaults(func(s *summary) { s.WidgetHealth = "Degraded broken" })},
		{"ignoreDifferences split keys and all", map[string]string{
			"resource.customizations.ignoreDifferences.all":                                                       "managedFieldsManagers: [kube-controller-manager]\njsonPointers: [/spec/replicas]",
			"resource.customizations.ignoreDifferences.admissionregistration.k8s.io_MutatingWebhookConfiguration": "jsonPointers:\n- /webhooks/0/clientConfig/caBundle",
			"resource.customizations.ignoreDifferences.Service":                                                   "jqPathExpressions: [.spec.clusterIP]",
		}, defaults(func(s *summary) {
			s.IgnoreDifferences = []v1alpha1.ResourceIgnoreDifferences{
				{Group: "*", Kind: "*", JSONPointers: []string{"/spec/replicas"}, ManagedFieldsManagers: []string{"kube-controller-manager"}},
				{Kind: "Service", JQPathExpressions: []string{".spec.clusterIP"}},
				{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration", JSONPointers: []string{"/webhooks/0/clientConfig/caBundle"}},
			}
		})},
		{"unsupported keys are listed", map[string]string{
			"resource.respectRBAC": "normal", "statusbadge.enabled": "true", "my.own.key": "x",
			"resource.customizations": "apps/Deployment:\n  ignoreResourceUpdates: {jsonPointers: [/status]}\n",
		}, defaults(func(s *summary) {
			s.Unsupported = []string{
				"argocd-cm: resource.customizations (apps/Deployment: ignoreResourceUpdates)",
				"argocd-cm: resource.respectRBAC",
				"argocd-cm: statusbadge.enabled",
			}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(Data{ConfigMap: tt.cm})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(t, s)); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		cm   map[string]string
		want string
	}{
		{"duration", map[string]string{"timeout.reconciliation": "three minutes"}, "timeout.reconciliation"},
		{"negative jitter", map[string]string{"timeout.reconciliation.jitter": "-5s"}, "timeout.reconciliation.jitter"},
		{"tracking", map[string]string{"application.resourceTrackingMethod": "magic"}, "application.resourceTrackingMethod"},
		{"instance label key", map[string]string{"application.instanceLabelKey": "not a/label/key"}, "application.instanceLabelKey"},
		{"hard reconciliation", map[string]string{"timeout.hard.reconciliation": "daily"}, "timeout.hard.reconciliation"},
		{"exclusions not a list", map[string]string{"resource.exclusions": "kinds: [Event]"}, "resource.exclusions"},
		{"exclusions unknown field", map[string]string{"resource.exclusions": "- kind: [Event]"}, "resource.exclusions"},
		{"inclusions bad glob", map[string]string{"resource.inclusions": "- kinds: ['[']"}, "resource.inclusions[0]"},
		{"compare options status", map[string]string{"resource.compareoptions": "ignoreResourceStatusField: some"}, "resource.compareoptions"},
		{"kustomize build options", map[string]string{"kustomize.buildOptions": "--load-restrictor Everything"}, "kustomize.buildOptions"},
		{"file repositories", map[string]string{"capstan.allowFileRepositories": "yes please"}, "capstan.allowFileRepositories"},
		{"signatures", map[string]string{"capstan.webhook.requireSignature": "on"}, "capstan.webhook.requireSignature"},
		{"lua syntax", map[string]string{"resource.customizations.health.example.com_Widget": "return {"}, "resource.customizations.health.example.com_Widget"},
		{"cel syntax", map[string]string{"resource.customizations.health.example.com_Widget.cel": "obj.status =="}, "resource.customizations.health.example.com_Widget.cel"},
		{"lua and cel", map[string]string{"resource.customizations.health.example.com_Widget": widgetLua, "resource.customizations.health.example.com_Widget.cel": `"Healthy"`}, "set one of them"},
		{"bad group kind", map[string]string{"resource.customizations.health.example.com_": widgetLua}, "not <group>_<kind>"},
		{"bad jq", map[string]string{"resource.customizations.ignoreDifferences.all": "jqPathExpressions: ['.spec[']"}, "ignoreDifferences of */*"},
		{"bad pointer", map[string]string{"resource.customizations.ignoreDifferences.apps_Deployment": "jsonPointers: [spec]"}, "ignoreDifferences of apps/Deployment"},
		{"unknown rule field", map[string]string{"resource.customizations.ignoreDifferences.all": "jsonPointer: [/spec]"}, "resource.customizations.ignoreDifferences.all"},
		{"block not yaml", map[string]string{"resource.customizations": "[unclosed"}, "resource.customizations"},
		{"block lua", map[string]string{"resource.customizations": "apps/Deployment:\n  health.lua: 'return {'\n"}, "apps/Deployment: health.lua"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(Data{ConfigMap: tt.cm})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), ConfigMap) {
				t.Errorf("error = %v, want one naming %s and %q", err, ConfigMap, tt.want)
			}
		})
	}
}

func TestCustomizationKey(t *testing.T) {
	a, _ := Parse(Data{ConfigMap: {"timeout.reconciliation": "1s", "resource.customizations.health.example.com_Widget": widgetLua}})
	b, _ := Parse(Data{ConfigMap: {"timeout.reconciliation": "9s", "resource.customizations.health.example.com_Widget": widgetLua}})
	c, _ := Parse(Data{ConfigMap: {"resource.customizations.health.example.com_Widget": widgetLua + "\n"}})
	if a.CustomizationKey() != b.CustomizationKey() {
		t.Error("a change to another key changed the customization key")
	}
	if a.CustomizationKey() == c.CustomizationKey() {
		t.Error("a change to a customization kept the customization key")
	}
}

func TestValueReadsEveryObject(t *testing.T) {
	s, err := Parse(Data{Secret: {"webhook.github.secret": "s3"}, RBAC: {"policy.default": "role:readonly"}, CmdParams: {"controller.status.processors": "20", "controller.log.level": "debug", "controller.log.format": "json", "server.log.level": "debug", "server.log.format": "json"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"argocd-cmd-params-cm: controller.status.processors"}, s.Unsupported); diff != "" {
		t.Errorf("unsupported (-want +got):\n%s", diff)
	}
	off, err := Parse(Data{CmdParams: {"controller.diff.server.side": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(off.Unsupported) > 0 {
		t.Errorf("controller.diff.server.side=true listed as unsupported: %v", off.Unsupported)
	}
	on, err := Parse(Data{CmdParams: {"controller.diff.server.side": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"argocd-cmd-params-cm: controller.diff.server.side"}, on.Unsupported); diff != "" {
		t.Errorf("unsupported (-want +got):\n%s", diff)
	}
	if s.Value(Secret, "webhook.github.secret") != "s3" || s.Value(RBAC, "policy.default") != "role:readonly" || s.Value(KnownHosts, "ssh_known_hosts") != "" {
		t.Errorf("values: %q %q", s.Value(Secret, "webhook.github.secret"), s.Value(RBAC, "policy.default"))
	}
}
