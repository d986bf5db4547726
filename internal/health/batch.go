package health

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func job(obj *unstructured.Unstructured) (*Status, error) {
	j, err := convert[batchv1.Job](obj)
	if err != nil {
		return nil, err
	}
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobFailed:
			return degraded(c.Message), nil
		case batchv1.JobComplete:
			return healthy(c.Message), nil
		}
	}
	if j.Spec.Suspend != nil && *j.Spec.Suspend {
		return suspended("Job is suspended"), nil
	}
	return progressing(""), nil
}

func cronJob(obj *unstructured.Unstructured) (*Status, error) {
	c, err := convert[batchv1.CronJob](obj)
	if err != nil {
		return nil, err
	}
	if c.Spec.Suspend != nil && *c.Spec.Suspend {
		return suspended("CronJob is suspended"), nil
	}
	return healthy(""), nil
}
