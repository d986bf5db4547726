package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// opsParamsView is the parameters page's data.
type opsParamsView struct {
	App *opsApp
	// Tool is "Helm", "Kustomize", or empty when the source has no
	// parameters to edit here.
	Tool string
	// Multi is set for an Application of several sources, which this
	// page does not edit.
	Multi  bool
	Source v1alpha1.ApplicationSource
	// Rows are the Helm parameters, with empty rows to add more.
	Rows []v1alpha1.HelmParameter
	// Images are the Kustomize images, one a line.
	Images string
}

// opsSpareRows is how many empty Helm parameter rows the form offers.
const opsSpareRows = 3

// opsTool is the tool whose parameters the page edits for app's source.
func opsTool(app *v1alpha1.Application) string {
	src := app.Spec.GetSource()
	switch {
	case src.Helm != nil || src.Chart != "" || app.Status.SourceType == v1alpha1.ApplicationSourceTypeHelm:
		return string(v1alpha1.ApplicationSourceTypeHelm)
	case src.Kustomize != nil || app.Status.SourceType == v1alpha1.ApplicationSourceTypeKustomize:
		return string(v1alpha1.ApplicationSourceTypeKustomize)
	}
	return ""
}

func (u *UI) showParameters(w http.ResponseWriter, r *http.Request, c *call, status int, app *opsApp) {
	v := opsParamsView{App: app, Multi: len(app.Spec.Sources) > 0, Tool: opsTool(app.Application), Source: app.Spec.GetSource()}
	if h := v.Source.Helm; h != nil {
		v.Rows = append(v.Rows, h.Parameters...)
	}
	v.Rows = append(v.Rows, make([]v1alpha1.HelmParameter, opsSpareRows)...)
	if k := v.Source.Kustomize; k != nil {
		for _, img := range k.Images {
			v.Images += string(img) + "\n"
		}
	}
	u.render(w, r, c, status, "app_ops_params", "Parameters of "+app.Name, "applications", v)
}

// opsParamsPatch is the merge patch of an Application that writes the
// parameters form f for tool: what the form leaves empty is removed.
func opsParamsPatch(tool string, f url.Values) ([]byte, error) {
	orNull := func(s string) any {
		if s = strings.TrimSpace(s); s == "" {
			return nil
		}
		return s
	}
	var part map[string]any
	switch tool {
	case string(v1alpha1.ApplicationSourceTypeHelm):
		var params []v1alpha1.HelmParameter
		n, _ := strconv.Atoi(f.Get("rows"))
		for i := range n {
			p := v1alpha1.HelmParameter{
				Name:        strings.TrimSpace(f.Get(fmt.Sprintf("name-%d", i))),
				Value:       f.Get(fmt.Sprintf("value-%d", i)),
				ForceString: f.Get(fmt.Sprintf("string-%d", i)) == "true",
			}
			switch {
			case p.Name != "":
				params = append(params, p)
			case p.Value != "":
				return nil, fmt.Errorf("parameter row %d has a value but no name", i+1)
			}
		}
		values := strings.ReplaceAll(f.Get("values"), "\r\n", "\n")
		part = map[string]any{"helm": map[string]any{"values": orNull(values), "parameters": params}}
		if len(params) == 0 {
			part["helm"].(map[string]any)["parameters"] = nil
		}
	case string(v1alpha1.ApplicationSourceTypeKustomize):
		var images []string
		for _, line := range strings.Split(f.Get("images"), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				images = append(images, line)
			}
		}
		k := map[string]any{"namePrefix": orNull(f.Get("namePrefix")), "nameSuffix": orNull(f.Get("nameSuffix")), "images": nil}
		if len(images) > 0 {
			k["images"] = images
		}
		part = map[string]any{"kustomize": k}
	default:
		return nil, fmt.Errorf("this application's source has no parameters to edit here")
	}
	return json.Marshal(map[string]any{"spec": map[string]any{"source": part}})
}

// opsParameters writes the form's parameters into the Application's
// spec through the API, and comes back to the page.
func (u *UI) opsParameters(w http.ResponseWriter, r *http.Request, c *call) {
	t := opsTargetOf(r)
	patch, err := opsParamsPatch(r.PostFormValue("tool"), r.PostForm)
	if err == nil {
		body := map[string]string{"name": t.name, "patch": string(patch), "patchType": "merge"}
		_, err = c.do(http.MethodPatch, t.api(nil, nil), body, nil)
	} else {
		err = &APIError{Status: http.StatusBadRequest, Message: err.Error()}
	}
	if err != nil {
		u.opsRefused(w, r, c, err, u.showParameters)
		return
	}
	opsRedirect(w, r, t.page("parameters"), "parameters")
}
