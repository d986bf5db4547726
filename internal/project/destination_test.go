package project

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

const inCluster = "https://kubernetes.default.svc"

func dest(server, name, namespace string) v1alpha1.ApplicationDestination {
	return v1alpha1.ApplicationDestination{Server: server, Name: name, Namespace: namespace}
}

func TestPermitsDestination(t *testing.T) {
	teamX := []v1alpha1.ApplicationDestination{dest(inCluster, "", "team-x-*")}
	anyButSystem := []v1alpha1.ApplicationDestination{
		dest("*", "", "*"),
		dest("*", "", "!kube-*"),
	}
	for _, tt := range []struct {
		name         string
		destinations []v1alpha1.ApplicationDestination
		to           v1alpha1.ApplicationDestination
		want         string
	}{
		{"namespace glob", teamX, dest(inCluster, "in-cluster", "team-x-web"), ""},
		{"namespace outside the glob", teamX, dest(inCluster, "in-cluster", "kube-system"),
			`application destination {server "https://kubernetes.default.svc", name "in-cluster", namespace "kube-system"} does not match any of the allowed destinations in project team`},
		{"other cluster", teamX, dest("https://prod:6443", "prod", "team-x-web"),
			`application destination {server "https://prod:6443", name "prod", namespace "team-x-web"} does not match any of the allowed destinations in project team`},
		{"listed by name", []v1alpha1.ApplicationDestination{dest("", "in-cluster", "team-x")}, dest(inCluster, "in-cluster", "team-x"), ""},
		{"name does not match an unnamed cluster", []v1alpha1.ApplicationDestination{dest("", "*", "team-x")}, dest(inCluster, "", "team-x"),
			`application destination {server "https://kubernetes.default.svc", namespace "team-x"} does not match any of the allowed destinations in project team`},
		{"empty list allows none", nil, dest(inCluster, "in-cluster", "team-x"),
			`application destination {server "https://kubernetes.default.svc", name "in-cluster", namespace "team-x"} does not match any of the allowed destinations in project team`},
		{"an entry without server or name allows none", []v1alpha1.ApplicationDestination{dest("", "", "*")}, dest(inCluster, "in-cluster", "team-x"),
			`application destination {server "https://kubernetes.default.svc", name "in-cluster", namespace "team-x"} does not match any of the allowed destinations in project team`},
		{"star namespace allows the cluster level", []v1alpha1.ApplicationDestination{dest("*", "", "*")}, dest(inCluster, "in-cluster", ""), ""},
		{"namespace exception", anyButSystem, dest(inCluster, "in-cluster", "kube-system"),
			`application destination {server "https://kubernetes.default.svc", name "in-cluster", namespace "kube-system"} is denied by destination {server "*", namespace "!kube-*"} in project team`},
		{"namespace exception leaves the rest", anyButSystem, dest(inCluster, "in-cluster", "team-x"), ""},
		{"exception before the allowance still wins", []v1alpha1.ApplicationDestination{dest("*", "", "!kube-system"), dest("*", "", "*")}, dest(inCluster, "in-cluster", "kube-system"),
			`application destination {server "https://kubernetes.default.svc", name "in-cluster", namespace "kube-system"} is denied by destination {server "*", namespace "!kube-system"} in project team`},
		{"exceptions alone allow nothing", []v1alpha1.ApplicationDestination{dest("*", "", "!kube-system")}, dest(inCluster, "in-cluster", "team-x"),
			`application destination {server "https://kubernetes.default.svc", name "in-cluster", namespace "team-x"} does not match any of the allowed destinations in project team`},
		{"server exception", []v1alpha1.ApplicationDestination{dest("*", "", "*"), dest("!https://prod-*", "", "*")}, dest("https://prod-eu", "prod-eu", "team-x"),
			`application destination {server "https://prod-eu", name "prod-eu", namespace "team-x"} is denied by destination {server "!https://prod-*", namespace "*"} in project team`},
		{"server exception leaves other servers", []v1alpha1.ApplicationDestination{dest("*", "", "*"), dest("!https://prod-*", "", "*")}, dest("https://dev", "dev", "team-x"), ""},
		{"name exception", []v1alpha1.ApplicationDestination{dest("*", "", "*"), dest("", "!prod", "*")}, dest("https://10.0.0.1", "prod", "team-x"),
			`application destination {server "https://10.0.0.1", name "prod", namespace "team-x"} is denied by destination {name "!prod", namespace "*"} in project team`},
		{"name exception and an unnamed cluster", []v1alpha1.ApplicationDestination{dest("*", "", "*"), dest("", "!prod", "*")}, dest("https://10.0.0.1", "", "team-x"), ""},
		{"an exception's other fields do not narrow it", []v1alpha1.ApplicationDestination{dest("*", "", "*"), dest("https://prod", "", "!kube-system")}, dest(inCluster, "in-cluster", "kube-system"),
			`application destination {server "https://kubernetes.default.svc", name "in-cluster", namespace "kube-system"} is denied by destination {server "https://prod", namespace "!kube-system"} in project team`},
		{"malformed pattern refuses", []v1alpha1.ApplicationDestination{dest("*", "", "*"), dest("*", "", "!kube-[")}, dest(inCluster, "in-cluster", "team-x"),
			`destinations: invalid pattern "kube-[": unexpected end of input in project team`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := errText(PermitsDestination(withSpec(v1alpha1.AppProjectSpec{Destinations: tt.destinations}), tt.to))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PermitsDestination(%v) (-want +got):\n%s", tt.to, diff)
			}
		})
	}
}
