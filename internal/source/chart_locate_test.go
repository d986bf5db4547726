package source

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLocateChart(t *testing.T) {
	tests := []struct {
		name    string
		repo    Repository
		chart   string
		want    chartLocation
		wantStr string
		wantErr bool
	}{
		{
			name:    "helm repository",
			repo:    Repository{URL: "https://charts.example.com/stable/", Type: "helm"},
			chart:   "guestbook",
			want:    chartLocation{IndexURL: "https://charts.example.com/stable", Chart: "guestbook"},
			wantStr: "https://charts.example.com/stable",
		},
		{
			name:    "helm repository with a password in the URL",
			repo:    Repository{URL: "https://user:pw@charts.example.com", Type: "helm"},
			chart:   "guestbook",
			want:    chartLocation{IndexURL: "https://user:pw@charts.example.com", Chart: "guestbook"},
			wantStr: "https://user@charts.example.com",
		},
		{
			name:    "oci URL",
			repo:    Repository{URL: "oci://registry.example.com:5000/charts", Type: "helm"},
			chart:   "guestbook",
			want:    chartLocation{OCI: true, Ref: "registry.example.com:5000/charts/guestbook", Chart: "guestbook"},
			wantStr: "oci://registry.example.com:5000/charts",
		},
		{
			name:    "oci URL, scheme in capitals, trailing slash",
			repo:    Repository{URL: "OCI://registry.example.com/charts/"},
			chart:   "guestbook",
			want:    chartLocation{OCI: true, Ref: "registry.example.com/charts/guestbook", Chart: "guestbook"},
			wantStr: "oci://registry.example.com/charts",
		},
		{
			name:    "no scheme with enableOCI",
			repo:    Repository{URL: "registry-1.docker.io/bitnamicharts", Type: "helm", EnableOCI: true},
			chart:   "nginx",
			want:    chartLocation{OCI: true, Ref: "registry-1.docker.io/bitnamicharts/nginx", Chart: "nginx"},
			wantStr: "oci://registry-1.docker.io/bitnamicharts",
		},
		{
			name:    "registry host only, chart with a path",
			repo:    Repository{URL: "oci://ghcr.io"},
			chart:   "org/charts/app",
			want:    chartLocation{OCI: true, Ref: "ghcr.io/org/charts/app", Chart: "org/charts/app"},
			wantStr: "oci://ghcr.io",
		},
		{name: "no scheme without enableOCI", repo: Repository{URL: "registry.example.com/charts", Type: "helm"}, chart: "guestbook", wantErr: true},
		{name: "no chart", repo: Repository{URL: "https://charts.example.com"}, chart: " ", wantErr: true},
		{name: "oci URL without registry", repo: Repository{URL: "oci://"}, chart: "guestbook", wantErr: true},
		{name: "unsupported scheme", repo: Repository{URL: "ftp://charts.example.com"}, chart: "guestbook", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := locateChart(tt.repo, tt.chart)
			if (err != nil) != tt.wantErr {
				t.Fatalf("locateChart error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(chartLocation{})); diff != "" {
				t.Errorf("locateChart (-want +got):\n%s", diff)
			}
			if !tt.wantErr && got.String() != tt.wantStr {
				t.Errorf("String() = %q, want %q", got.String(), tt.wantStr)
			}
		})
	}
}
