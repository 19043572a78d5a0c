{{/* Binds a ClusterRole to a ServiceAccount of this release; call with (dict "root" $ "name" "..." "serviceAccount" "..."
and, when it is not the release's, "namespace"). */}}
{{- define "ebs.clusterRoleBinding" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ .name }}
  labels:
    {{- include "ebs.labels" .root | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ .name }}
subjects:
  - kind: ServiceAccount
    name: {{ .serviceAccount }}
    namespace: {{ .namespace | default .root.Release.Namespace }}
{{- end -}}
