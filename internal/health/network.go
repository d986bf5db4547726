package health

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func service(obj *unstructured.Unstructured) (*Status, error) {
	s, err := convert[corev1.Service](obj)
	if err != nil {
		return nil, err
	}
	if s.Spec.Type == corev1.ServiceTypeLoadBalancer && len(s.Status.LoadBalancer.Ingress) == 0 {
		return progressing("Waiting for the load balancer to be provisioned"), nil
	}
	return healthy(""), nil
}

func ingress(obj *unstructured.Unstructured) (*Status, error) {
	i, err := convert[networkingv1.Ingress](obj)
	if err != nil {
		return nil, err
	}
	if len(i.Status.LoadBalancer.Ingress) == 0 {
		return progressing("Waiting for the ingress to get an address"), nil
	}
	return healthy(""), nil
}
