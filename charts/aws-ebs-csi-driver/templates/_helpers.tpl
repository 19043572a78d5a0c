{{/* Names: "ebs-csi" by default so objects read like the reference driver's (ebs-csi-controller...). */}}
{{- define "ebs.name" -}}
{{- default "ebs-csi" .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "ebs.controllerName" -}}
{{- printf "%s-controller" (include "ebs.name" .) -}}
{{- end -}}

{{- define "ebs.nodeName" -}}
{{- printf "%s-node" (include "ebs.name" .) -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "ebs.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component; call with (dict "root" $ "component" "controller"). */}}
{{- define "ebs.selectorLabels" -}}
app: {{ printf "%s-%s" (include "ebs.name" .root) .component }}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The driver image; the tag defaults to "v" + appVersion. */}}
{{- define "ebs.driverImage" -}}
{{- printf "%s:%s" .Values.image.repository (default (printf "v%s" .Chart.AppVersion) .Values.image.tag) -}}
{{- end -}}

{{/* A sidecar image from its values block. */}}
{{- define "ebs.sidecarImage" -}}
{{- printf "%s:%s" .image.repository .image.tag -}}
{{- end -}}

{{/* "true" when the snapshotter should run: the VolumeSnapshot CRDs exist, or it is forced on. */}}
{{- define "ebs.snapshotsEnabled" -}}
{{- if or .Values.sidecars.snapshotter.forceEnable (.Capabilities.APIVersions.Has "snapshot.storage.k8s.io/v1/VolumeSnapshotClass") -}}
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

{{/* Driver options both modes share, as YAML list items. */}}
{{- define "ebs.driverCommonArgs" -}}
- --driver-name={{ .Values.driverName }}
- --logging-format={{ .Values.logging.format }}
- --v={{ .Values.logging.verbosity }}
{{- end -}}

{{/* AWS settings both modes share, as YAML EnvVar items (nothing when all are empty). */}}
{{- define "ebs.awsEnv" -}}
{{- with .Values.aws.region }}
- name: AWS_REGION
  value: {{ . | quote }}
{{- end }}
{{- with .Values.aws.ec2Endpoint }}
- name: AWS_ENDPOINT_URL_EC2
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* Leader-election options for a controller sidecar. */}}
{{- define "ebs.leaderElectionArgs" -}}
{{- with .Values.controller.leaderElection -}}
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
{{- end }}
{{- end -}}
{{- end -}}

{{/* Options every controller sidecar takes from its values block: socket, verbosity, timeouts, API rate. */}}
{{- define "ebs.sidecarCommonArgs" -}}
- --csi-address={{ include "ebs.controllerSocketDir" .root }}/csi.sock
- --v={{ .sidecar.logLevel }}
- --timeout={{ .sidecar.timeout }}
- --retry-interval-start={{ .sidecar.retryIntervalStart }}
- --retry-interval-max={{ .sidecar.retryIntervalMax }}
- --kube-api-qps={{ .sidecar.kubeApiQps }}
- --kube-api-burst={{ .sidecar.kubeApiBurst }}
{{- include "ebs.leaderElectionArgs" .root }}
{{- end -}}

{{/* Hardened container securityContext for everything except the privileged node plugin. */}}
{{- define "ebs.restrictedContainerSecurityContext" -}}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Node selector with kubernetes.io/os=linux always present. */}}
{{- define "ebs.linuxNodeSelector" -}}
{{- toYaml (merge (dict "kubernetes.io/os" "linux") (deepCopy .)) -}}
{{- end -}}

{{/* Pod template labels: common + selector + user labels as one map (no duplicate keys);
call with (dict "root" $ "selector" $selectorMap "extra" .Values.x.podLabels). */}}
{{- define "ebs.podLabels" -}}
{{- $labels := include "ebs.labels" .root | fromYaml -}}
{{- toYaml (merge (deepCopy .selector) (deepCopy (default (dict) .extra)) $labels) -}}
{{- end -}}

{{/* Seconds between kubelet's NodeGetInfo calls (CSIDriver nodeAllocatableUpdatePeriodSeconds), or
empty when off or when the cluster is older than 1.33, which has no such field. */}}
{{- define "ebs.nodeAllocatableUpdatePeriod" -}}
{{- $period := int .Values.nodeAllocatableUpdatePeriodSeconds -}}
{{- if and (ne $period 0) (semverCompare ">=1.33.0-0" .Capabilities.KubeVersion.Version) -}}
{{- eq $period -1 | ternary 10 $period -}}
{{- end -}}
{{- end -}}

{{/* How the image starts the driver (the Dockerfile's ENTRYPOINT), for exec hooks, as a YAML list. */}}
{{- define "ebs.driverCommand" -}}
- node
- --max-semi-space-size=1
- --no-turbofan
- --no-maglev
- /app/dist/bundle/ebs-csi-driver.mjs
{{- end -}}
