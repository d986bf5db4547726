package cli

import (
	"net/http"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// schemeMappings is the RESTMapper of a manager whose scheme is scheme:
// controller-runtime's, which learns the cluster's API groups as it is
// asked, with the mappings of the scheme's kinds kept once found.
//
// The manager's client asks its mapper at every read from the cache
// (whether the kind is namespaced) and at every write. That mapper answers
// through one mapper per API group version, each of which makes an error
// for a kind it does not have: in a cold sync of 1000 Applications, those
// questions made 7 % of what capstan allocated. The scheme's kinds are
// built into Kubernetes or are capstan's own: no cluster changes their
// resource or scope, so the first answer stands. Other kinds are asked
// every time, since a CRD may change.
func schemeMappings(scheme *runtime.Scheme) func(*rest.Config, *http.Client) (meta.RESTMapper, error) {
	return func(cfg *rest.Config, hc *http.Client) (meta.RESTMapper, error) {
		m, err := apiutil.NewDynamicRESTMapper(cfg, hc)
		if err != nil {
			return nil, err
		}
		return &keptMappings{RESTMapper: m, scheme: scheme}, nil
	}
}

// keptMappings keeps the mappings of its scheme's kinds; it answers all
// else through the mapper it wraps.
type keptMappings struct {
	meta.RESTMapper
	scheme *runtime.Scheme
	kept   sync.Map // schema.GroupVersionKind → *meta.RESTMapping
}

func (k *keptMappings) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	if len(versions) != 1 {
		return k.RESTMapper.RESTMapping(gk, versions...)
	}
	gvk := gk.WithVersion(versions[0])
	if m, ok := k.kept.Load(gvk); ok {
		return m.(*meta.RESTMapping), nil
	}
	m, err := k.RESTMapper.RESTMapping(gk, versions...)
	if err == nil && k.scheme.Recognizes(gvk) {
		k.kept.Store(gvk, m)
	}
	return m, err
}
