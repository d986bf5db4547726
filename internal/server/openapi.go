package server

import (
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/capstan-cd/capstan/internal/version"
)

// openAPIRoutes serve the API's own description at /swagger.json, where
// Argo CD serves its own, to anyone: it says what the API offers, not
// what anybody holds.
func (a *API) openAPIRoutes() []route {
	return []route{{pattern: "GET /swagger.json", public: true, doc: "Get this API's OpenAPI 3 document", handle: func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, openAPI(a.routes()))
	}}}
}

// queryOf is the query parameters of base followed by more, in a slice
// of its own, so that two routes extending one base never share an
// array.
func queryOf(base []string, more ...string) []string {
	return append(slices.Clip(base), more...)
}

// openAPIDocument is the part of an OpenAPI 3 document the API fills in.
type openAPIDocument struct {
	OpenAPI    string                          `json:"openapi"`
	Info       openAPIInfo                     `json:"info"`
	Paths      map[string]map[string]operation `json:"paths"`
	Components openAPIComponents               `json:"components"`
}

type openAPIInfo struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Version     string `json:"version"`
}

type openAPIComponents struct {
	SecuritySchemes map[string]securityScheme `json:"securitySchemes"`
	Schemas         map[string]any            `json:"schemas"`
}

type securityScheme struct {
	Type         string `json:"type"`
	Scheme       string `json:"scheme,omitempty"`
	BearerFormat string `json:"bearerFormat,omitempty"`
	In           string `json:"in,omitempty"`
	Name         string `json:"name,omitempty"`
}

// operation is one method on one path.
type operation struct {
	Summary    string              `json:"summary"`
	Parameters []parameter         `json:"parameters,omitempty"`
	Security   []map[string][]any  `json:"security,omitempty"`
	Responses  map[string]response `json:"responses"`
}

type parameter struct {
	Name        string            `json:"name"`
	In          string            `json:"in"`
	Description string            `json:"description,omitempty"`
	Required    bool              `json:"required,omitempty"`
	Schema      map[string]string `json:"schema"`
}

type response struct {
	Description string         `json:"description"`
	Content     map[string]any `json:"content,omitempty"`
}

// The security schemes: a bearer token, or the web UI's cookie.
const (
	schemeBearer = "bearerToken"
	schemeCookie = "sessionCookie"
)

// openAPI is the document of routes: each path with its methods, their
// summaries, path and query parameters, and whether they need a session.
func openAPI(routes []route) openAPIDocument {
	doc := openAPIDocument{
		OpenAPI: "3.0.3",
		Info: openAPIInfo{
			Title:       "capstan API",
			Description: "Argo CD's REST paths and JSON shapes, as capstan serves them. Errors are {\"error\", \"code\", \"message\"}.",
			Version:     version.Version,
		},
		Paths: map[string]map[string]operation{},
		Components: openAPIComponents{
			SecuritySchemes: map[string]securityScheme{
				schemeBearer: {Type: "http", Scheme: "bearer", BearerFormat: "JWT"},
				schemeCookie: {Type: "apiKey", In: "cookie", Name: TokenCookie},
			},
			Schemas: map[string]any{"error": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"error":   map[string]string{"type": "string"},
					"code":    map[string]string{"type": "integer", "description": "the gRPC status code"},
					"message": map[string]string{"type": "string"},
				},
			}},
		},
	}
	for _, rt := range routes {
		method, path := splitPattern(rt.pattern)
		op := operation{Summary: rt.doc, Responses: map[string]response{
			"200":     {Description: "done"},
			"default": {Description: "an error", Content: map[string]any{"application/json": map[string]any{"schema": map[string]string{"$ref": "#/components/schemas/error"}}}},
		}}
		for _, name := range pathParams(path) {
			p := parameter{Name: strings.TrimSuffix(name, "..."), In: "path", Required: true, Schema: map[string]string{"type": "string"}}
			if strings.HasSuffix(name, "...") {
				p.Description = "the rest of the path, which may contain /"
			}
			op.Parameters = append(op.Parameters, p)
		}
		for _, name := range rt.query {
			op.Parameters = append(op.Parameters, parameter{Name: name, In: "query", Description: queryDocs[name], Schema: map[string]string{"type": "string"}})
		}
		if !rt.public {
			op.Security = []map[string][]any{{schemeBearer: {}}, {schemeCookie: {}}}
			op.Responses["401"] = response{Description: "no session, or one that is no longer valid"}
		}
		path = wildcard.ReplaceAllString(path, "{$1}")
		if doc.Paths[path] == nil {
			doc.Paths[path] = map[string]operation{}
		}
		doc.Paths[path][strings.ToLower(method)] = op
	}
	return doc
}

// pathParam matches a wildcard of a ServeMux pattern, {name} or
// {name...}; wildcard only the latter.
var (
	pathParam = regexp.MustCompile(`\{([^}]+)\}`)
	wildcard  = regexp.MustCompile(`\{([^}.]+)\.\.\.\}`)
)

// splitPattern splits a ServeMux pattern "GET /api/v1/x" into its method
// and path.
func splitPattern(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	return method, path
}

// pathParams are the wildcards of path, in order, as written ("name",
// "rest...").
func pathParams(path string) []string {
	var out []string
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		out = append(out, m[1])
	}
	return out
}
