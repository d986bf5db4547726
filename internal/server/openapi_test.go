package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRoutesDocumented fails for a route without a one-line summary, with
// a query parameter that is not described, or with a pattern another
// route has: /swagger.json and docs/api.md are made from the route table.
func TestRoutesDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, rt := range (&API{}).routes() {
		method, path := splitPattern(rt.pattern)
		if methodRank(method) < 0 || !strings.HasPrefix(path, "/") {
			t.Errorf("route %q: want a pattern \"METHOD /path\"", rt.pattern)
		}
		if rt.doc == "" || strings.ContainsAny(rt.doc, "|\n") || strings.HasSuffix(rt.doc, ".") {
			t.Errorf("route %q: doc %q, want one line without | or a final period", rt.pattern, rt.doc)
		}
		for _, q := range rt.query {
			if queryDocs[q] == "" {
				t.Errorf("route %q: query parameter %q has no description in queryDocs", rt.pattern, q)
			}
		}
		if seen[rt.pattern] {
			t.Errorf("route %q is in the table twice", rt.pattern)
		}
		seen[rt.pattern] = true
	}
}

// TestSwaggerJSON reads /swagger.json without a session and finds every
// route in it, with its summary, parameters and security.
func TestSwaggerJSON(t *testing.T) {
	srv := httptest.NewServer((&API{}).Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/swagger.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /swagger.json without a session: %s, want 200", resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	// The names OpenAPI 3 gives its fields, read without this package's
	// types: a bearer scheme, and an operation's security and parameters.
	var raw struct {
		Components struct {
			SecuritySchemes map[string]map[string]string `json:"securitySchemes"`
		} `json:"components"`
		Paths map[string]map[string]struct {
			Security   []map[string][]string `json:"security"`
			Parameters []map[string]any      `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	if s := raw.Components.SecuritySchemes[schemeBearer]; s["type"] != "http" || s["scheme"] != "bearer" {
		t.Errorf("security scheme %s = %v, want type http, scheme bearer", schemeBearer, s)
	}
	if c := raw.Components.SecuritySchemes[schemeCookie]; c["type"] != "apiKey" || c["in"] != "cookie" || c["name"] != TokenCookie {
		t.Errorf("security scheme %s = %v, want an apiKey in cookie %s", schemeCookie, c, TokenCookie)
	}
	if op := raw.Paths["/api/v1/applications/{name}"]["get"]; len(op.Security) != 2 || op.Parameters[0]["in"] != "path" || op.Parameters[0]["required"] != true {
		t.Errorf("GET /api/v1/applications/{name}: security %v, parameters %v", op.Security, op.Parameters)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	routes := (&API{}).routes()
	ops := 0
	for _, methods := range doc.Paths {
		ops += len(methods)
	}
	if ops != len(routes) {
		t.Errorf("the document has %d operations, the route table %d routes", ops, len(routes))
	}
	for _, rt := range routes {
		method, path := splitPattern(rt.pattern)
		op, ok := doc.Paths[strings.ReplaceAll(path, "...}", "}")][strings.ToLower(method)]
		if !ok {
			t.Errorf("route %q is not in the document", rt.pattern)
			continue
		}
		if op.Summary != rt.doc {
			t.Errorf("%s: summary %q, want %q", rt.pattern, op.Summary, rt.doc)
		}
		if secured := len(op.Security) > 0; secured == rt.public {
			t.Errorf("%s: security %v, but public is %v", rt.pattern, op.Security, rt.public)
		}
	}

	want := []parameter{
		{Name: "resource", In: "path", Required: true, Schema: map[string]string{"type": "string"}},
		{Name: "action", In: "path", Required: true, Schema: map[string]string{"type": "string"}},
		{Name: "subresource", In: "path", Required: true, Description: "the rest of the path, which may contain /", Schema: map[string]string{"type": "string"}},
	}
	if diff := cmp.Diff(want, doc.Paths["/api/v1/account/can-i/{resource}/{action}/{subresource}"]["get"].Parameters); diff != "" {
		t.Errorf("can-i parameters (-want +got):\n%s", diff)
	}
	want = []parameter{
		{Name: "name", In: "path", Required: true, Schema: map[string]string{"type": "string"}},
		{Name: "project", In: "query", Description: queryDocs["project"], Schema: map[string]string{"type": "string"}},
		{Name: "appNamespace", In: "query", Description: queryDocs["appNamespace"], Schema: map[string]string{"type": "string"}},
		{Name: "cascade", In: "query", Description: "false: leave the Application's resources in place", Schema: map[string]string{"type": "string"}},
		{Name: "propagationPolicy", In: "query", Description: queryDocs["propagationPolicy"], Schema: map[string]string{"type": "string"}},
	}
	if diff := cmp.Diff(want, doc.Paths["/api/v1/applications/{name}"]["delete"].Parameters); diff != "" {
		t.Errorf("delete Application parameters (-want +got):\n%s", diff)
	}
}

// queryRead matches a handler reading a query parameter by name:
// r.URL.Query().Get("x"), q.Get("x") or q["x"].
var queryRead = regexp.MustCompile(`(?:Query\(\)\.Get|\bq\.Get)\("([^"]+)"\)|\bq\["([^"]+)"\]`)

// TestQueryParamsDeclared fails when a handler of the package reads a
// query parameter that no route declares, so the document does not miss
// one.
func TestQueryParamsDeclared(t *testing.T) {
	declared := map[string]bool{}
	for _, rt := range (&API{}).routes() {
		for _, q := range rt.query {
			declared[q] = true
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range queryRead.FindAllStringSubmatch(string(src), -1) {
			read++
			if name := m[1] + m[2]; !declared[name] {
				t.Errorf("%s reads query parameter %q, which no route declares", f, name)
			}
		}
	}
	if read == 0 {
		t.Fatal("found no handler reading a query parameter: the pattern no longer matches the code")
	}
}

// TestAPIDocCurrent fails while docs/api.md's endpoint index is not the
// one the route table makes.
func TestAPIDocCurrent(t *testing.T) {
	page, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := RefreshAPIDoc(string(page))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(page), fresh); diff != "" {
		t.Errorf("docs/api.md is stale; run `go run ./cmd/capstan-apidoc` (-page +fresh):\n%s", diff)
	}
}

// docEndpoint matches an endpoint named in docs/api.md: `GET /path`.
var docEndpoint = regexp.MustCompile("`(GET|POST|PUT|PATCH|DELETE) (/[^`?\\s]*)[^`]*`")

// TestAPIDocNamesRoutes fails when the hand-written part of docs/api.md
// names an endpoint the server does not serve.
func TestAPIDocNamesRoutes(t *testing.T) {
	page, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	written, _, _ := strings.Cut(string(page), apiDocBegin)
	shape := func(path string) string { return pathParam.ReplaceAllString(path, "{}") }
	var served []string
	for _, rt := range (&API{}).routes() {
		method, path := splitPattern(rt.pattern)
		served = append(served, method+" "+shape(path))
	}
	found := 0
	for _, m := range docEndpoint.FindAllStringSubmatch(written, -1) {
		found++
		if ep := m[1] + " " + shape(m[2]); !slices.Contains(served, ep) {
			t.Errorf("docs/api.md names %s %s, which the server does not serve", m[1], m[2])
		}
	}
	if found == 0 {
		t.Fatal("found no endpoint named in docs/api.md")
	}
}
