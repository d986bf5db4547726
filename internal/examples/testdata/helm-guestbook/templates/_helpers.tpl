{{/* The release-qualified name of the chart's objects. */}}
{{- define "helm-guestbook.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
