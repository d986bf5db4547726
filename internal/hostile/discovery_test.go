package hostile

import (
	"context"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Item 8 of the issue: an Application whose custom resource's CRD arrives
// later syncs once the CRD exists, without a new commit.

const widgetCRD = "widgets.hostile.capstan.test"

func widgetDefinition() *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: widgetCRD},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "hostile.capstan.test",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptr.To(true),
				}},
			}},
		},
	}
}

func TestCustomResourceWhoseCRDArrivesLater(t *testing.T) {
	a := newAttack(t, "crd-later")
	a.project(nil)
	r := newRepo(t, suite.public, "repo")
	r.commit(t, tree{files: map[string]string{
		"app/widget.yaml": "apiVersion: hostile.capstan.test/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n",
	}})
	a.app("crd-later", directory(r.url), nil)
	a.waitCause("crd-later", "Widget")

	crd := widgetDefinition()
	if err := suite.cl.Create(context.Background(), crd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = suite.cl.Delete(context.Background(), crd) })
	widget := &unstructured.Unstructured{}
	widget.SetGroupVersionKind(schema.GroupVersionKind{Group: "hostile.capstan.test", Version: "v1", Kind: "Widget"})
	err := poll(func(ctx context.Context) (bool, error) {
		return suite.cl.Get(ctx, client.ObjectKey{Namespace: a.namespace(), Name: "w"}, widget) == nil, nil
	})
	if err != nil {
		app, _ := get(context.Background(), "crd-later")
		t.Fatalf("the Widget was not applied in %s once its CRD existed: %s", a.namespace(), describe(app))
	}
	a.waitSynced("crd-later")
	a.survived()
}
