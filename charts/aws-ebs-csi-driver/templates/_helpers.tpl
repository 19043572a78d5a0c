{{/* Names: "ebs-csi" by default so objects read like the reference driver's (ebs-csi-controller...). */}}
{{- define "ebs.name" -}}
{{- default "ebs-csi" .Values.namePrefix | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "ebs.controllerName" -}}
{{- printf "%s-controller" (include "ebs.name" .) -}}
{{- end -}}

{{- define "ebs.nodeName" -}}
{{- printf "%s-node" (include "ebs.name" .) -}}
{{- end -}}

{{/* The app.kubernetes.io/name label: the chart name, or nameOverride as in the reference chart. */}}
{{- define "ebs.nameLabel" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "ebs.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "ebs.nameLabel" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with (include "ebs.pick" (dict "ours" .Values.commonLabels "oursName" "commonLabels" "ref" .Values.customLabels "refName" "customLabels" "default" dict) | fromJson).v }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component; call with (dict "root" $ "component" "controller") and, for
an additional node DaemonSet, "app" naming it. The same set as the reference chart's, so that a
release of it can be upgraded in place to this chart (a workload's selector cannot change). */}}
{{- define "ebs.selectorLabels" -}}
app: {{ .app | default (printf "%s-%s" (include "ebs.name" .root) .component) }}
app.kubernetes.io/name: {{ include "ebs.nameLabel" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* The driver image; the tag defaults to "v" + appVersion; image.containerRegistry goes first. */}}
{{- define "ebs.driverImage" -}}
{{- printf "%s%s:%s" (default "" .Values.image.containerRegistry) .Values.image.repository (default (printf "v%s" .Chart.AppVersion) .Values.image.tag) -}}
{{- end -}}

{{/* A sidecar image from its values block; call with (dict "root" $ "sidecar" .). */}}
{{- define "ebs.sidecarImage" -}}
{{- printf "%s%s:%s" (default "" .root.Values.image.containerRegistry) .sidecar.image.repository .sidecar.image.tag -}}
{{- end -}}

{{/* imagePullSecrets as Kubernetes wants them; the reference chart lists bare names. */}}
{{- define "ebs.imagePullSecrets" -}}
{{- range .Values.imagePullSecrets }}
{{- if kindIs "string" . }}
- name: {{ . }}
{{- else }}
- name: {{ .name }}
{{- end }}
{{- end }}
{{- end -}}

{{/* "true" when the snapshotter should run: the VolumeSnapshot CRDs exist, or it is forced on. */}}
{{- define "ebs.snapshotsEnabled" -}}
{{- if or .Values.sidecars.snapshotter.forceEnable (.Capabilities.APIVersions.Has "snapshot.storage.k8s.io/v1/VolumeSnapshotClass") (.Capabilities.APIVersions.Has "snapshot.storage.k8s.io/v1") -}}
true
{{- end -}}
{{- end -}}

{{/* Directory kubelet gives the node plugin, and the socket in it. */}}
{{- define "ebs.pluginDir" -}}
{{- printf "%s/plugins/%s" (trimSuffix "/" .Values.node.kubeletPath) .Values.driverName -}}
{{- end -}}

{{/* Socket the controller's sidecars share with the driver (an emptyDir). */}}
{{- define "ebs.controllerSocketDir" -}}
/var/lib/csi/sockets/pluginproxy
{{- end -}}

{{/* A map of feature gates as "A=true,B=false", sorted so renders are stable. */}}
{{- define "ebs.featureGates" -}}
{{- $gates := list -}}
{{- range $name := keys . | sortAlpha -}}
{{- $gates = append $gates (printf "%s=%t" $name (index $ $name)) -}}
{{- end -}}
{{- join "," $gates -}}
{{- end -}}

{{/* The driver's --extra-tags value, "key=value,..." sorted by key. */}}
{{- define "ebs.extraTags" -}}
{{- $tags := list -}}
{{- range $key := keys . | sortAlpha -}}
{{- $tags = append $tags (printf "%s=%s" $key (toString (index $ $key))) -}}
{{- end -}}
{{- join "," $tags -}}
{{- end -}}

{{/* AWS settings both modes share, as YAML EnvVar items (nothing when all are empty); call with (dict "root" $ "settings" $s). */}}
{{- define "ebs.awsEnv" -}}
{{- with .settings.region }}
- name: AWS_REGION
  value: {{ . | quote }}
{{- end }}
{{- with .root.Values.aws.ec2Endpoint }}
- name: AWS_ENDPOINT_URL_EC2
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* Leader-election options for a controller sidecar; call with the sidecar's resolved settings. */}}
{{- define "ebs.leaderElectionArgs" -}}
{{- if .enabled }}
- --leader-election=true
{{- with .leaseDuration }}
- --leader-election-lease-duration={{ . }}
{{- end }}
{{- with .renewDeadline }}
- --leader-election-renew-deadline={{ . }}
{{- end }}
{{- with .retryPeriod }}
- --leader-election-retry-period={{ . }}
{{- end }}
{{- else }}
- --leader-election=false
{{- end }}
{{- end -}}

{{/* Options every controller sidecar takes: socket, verbosity, timeouts, API rate, leader election;
call with (dict "root" $ "sidecar" . "name" "provisioner" "settings" $s). */}}
{{- define "ebs.sidecarCommonArgs" -}}
- --csi-address={{ include "ebs.controllerSocketDir" .root }}/csi.sock
- --v={{ ternary 7 .sidecar.logLevel (eq (toString .root.Values.debugLogs) "true") }}
- --timeout={{ .sidecar.timeout }}
- --retry-interval-start={{ .sidecar.retryIntervalStart }}
- --retry-interval-max={{ .sidecar.retryIntervalMax }}
- --kube-api-qps={{ .sidecar.kubeApiQps }}
- --kube-api-burst={{ .sidecar.kubeApiBurst }}
{{- include "ebs.leaderElectionArgs" (index .settings (printf "%sLeaderElection" .name)) }}
{{- end -}}

{{/* Hardened container securityContext for everything except the privileged node plugin. */}}
{{- define "ebs.restrictedContainerSecurityContext" -}}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* A container's securityContext: the one given in values, else the hardened default; call with the given one. */}}
{{- define "ebs.containerSecurityContext" -}}
{{- if . -}}
{{ toYaml . }}
{{- else -}}
{{ include "ebs.restrictedContainerSecurityContext" nil }}
{{- end -}}
{{- end -}}

{{/* A sidecar's resources; an empty map means the fallback (controller.resources, as in the
reference chart); call with (dict "resources" .resources "fallback" ...). */}}
{{- define "ebs.sidecarResources" -}}
{{- if kindIs "invalid" .resources -}}
{{ toYaml .fallback }}
{{- else if empty .resources -}}
{{ toYaml .fallback }}
{{- else -}}
{{ toYaml .resources }}
{{- end -}}
{{- end -}}

{{/* Node selector with kubernetes.io/os=linux always present. */}}
{{- define "ebs.linuxNodeSelector" -}}
{{- toYaml (merge (dict "kubernetes.io/os" "linux") (deepCopy (default dict .))) -}}
{{- end -}}

{{/* Pod template labels: common + selector + component + user labels as one map (no duplicate
keys); call with (dict "root" $ "selector" $selectorMap "component" "node" "extra" .Values.x.podLabels). */}}
{{- define "ebs.podLabels" -}}
{{- $labels := include "ebs.labels" .root | fromYaml -}}
{{- toYaml (merge (deepCopy .selector) (dict "app.kubernetes.io/component" .component) (deepCopy (default (dict) .extra)) $labels) -}}
{{- end -}}

{{/* How the image starts the driver (the Dockerfile's ENTRYPOINT), for exec hooks, as a YAML list. */}}
{{- define "ebs.driverCommand" -}}
- node
- --max-semi-space-size=1
- --no-turbofan
- --no-maglev
- /app/dist/bundle/ebs-csi-driver.mjs
{{- end -}}
