{{/*
The settings the templates render from, each resolved once from this chart's key and the
reference chart's name for it (docs/migrating.md). A key counts as given when it is set and
not empty; a reference key also counts only when it differs from the reference chart's own
default, so its full default values file carries over. Both given and different: the install
fails naming both. Templates read: {{- $s := include "ebs.settings" . | fromJson }}
*/}}

{{/* "true" when a value is given: not null, not "", {} or [], and not the reference default (refDefault). */}}
{{- define "ebs.given" -}}
{{- $v := .value -}}
{{- if kindIs "invalid" $v -}}
{{- else if and (or (kindIs "string" $v) (kindIs "map" $v) (kindIs "slice" $v)) (empty $v) -}}
{{- else if and (hasKey . "refDefault") (eq (toJson $v) (toJson .refDefault)) -}}
{{- else -}}true{{- end -}}
{{- end -}}

{{/*
One setting from this chart's key and the reference chart's; call with (dict "ours" .. "oursName" "a.b"
"ref" .. "refName" "c.d" "refDefault" .. "default" ..). Returns {"v": value} as JSON.
*/}}
{{- define "ebs.pick" -}}
{{- $ours := include "ebs.given" (dict "value" .ours) -}}
{{- $refArgs := dict "value" .ref -}}
{{- if hasKey . "refDefault" }}{{ $_ := set $refArgs "refDefault" .refDefault }}{{ end -}}
{{- $ref := include "ebs.given" $refArgs -}}
{{- if and $ours $ref (ne (toJson .ours) (toJson .ref)) -}}
{{- fail (printf "%s (%s) and %s (%s) are both set and disagree: %s is the reference chart's name for %s; set one of them" .oursName (toJson .ours) .refName (toJson .ref) .refName .oursName) -}}
{{- end -}}
{{- $v := .default -}}
{{- if $ref }}{{ $v = .ref }}{{ end -}}
{{- if $ours }}{{ $v = .ours }}{{ end -}}
{{- dict "v" $v | toJson -}}
{{- end -}}

{{/* The value of ebs.pick. */}}
{{- define "ebs.pickValue" -}}
{{- (include "ebs.pick" . | fromJson).v | toJson -}}
{{- end -}}

{{/* Leader election of one controller sidecar: its own keys over controller.leaderElection. */}}
{{- define "ebs.leaderElectionOf" -}}
{{- $shared := .root.Values.controller.leaderElection -}}
{{- $own := .sidecar.leaderElection | default dict -}}
{{- $out := dict -}}
{{- range $key, $default := dict "enabled" true "leaseDuration" "" "renewDeadline" "" "retryPeriod" "" -}}
{{- $args := dict "ours" (index $shared $key) "oursName" (printf "controller.leaderElection.%s" $key) "ref" (index $own $key) "refName" (printf "sidecars.%s.leaderElection.%s" $.name $key) "default" $default -}}
{{- if eq $key "enabled" }}{{ $_ := set $args "refDefault" true }}{{ end -}}
{{- $_ := set $out $key (include "ebs.pick" $args | fromJson).v -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{- define "ebs.settings" -}}
{{- $v := .Values -}}
{{- $c := $v.controller -}}
{{- $n := $v.node -}}
{{- $s := dict -}}
{{- $pick := dict -}}

{{- /* Names and labels. */ -}}
{{- $_ := set $s "prefix" (default "ebs-csi" $v.namePrefix | trunc 40 | trimSuffix "-") -}}
{{- $_ = set $s "nameLabel" (default .Chart.Name $v.nameOverride | trunc 63 | trimSuffix "-") -}}
{{- $_ = set $s "labels" (include "ebs.pick" (dict "ours" $v.commonLabels "oursName" "commonLabels" "ref" $v.customLabels "refName" "customLabels" "default" dict) | fromJson).v -}}
{{- $_ = set $s "registry" (default "" $v.image.containerRegistry) -}}
{{- $secrets := list -}}
{{- range $v.imagePullSecrets -}}
{{- $secrets = append $secrets (ternary (dict "name" .) . (kindIs "string" .)) -}}
{{- end -}}
{{- $_ = set $s "pullSecrets" $secrets -}}

{{- /* What to deploy. */ -}}
{{- $nodeOnly := ternary false nil (eq (toString $v.nodeComponentOnly) "true") -}}
{{- $_ = set $s "controllerEnabled" (include "ebs.pick" (dict "ours" $c.enabled "oursName" "controller.enabled" "ref" $nodeOnly "refName" "nodeComponentOnly" "default" true) | fromJson).v -}}
{{- $_ = set $s "csiDriverCreate" (ternary $v.csiDriver.create (not $v.nodeComponentOnly) (not (kindIs "invalid" $v.csiDriver.create))) -}}
{{- $_ = set $s "nodeEnabled" (include "ebs.pick" (dict "ours" $n.enabled "oursName" "node.enabled" "ref" $n.enableLinux "refName" "node.enableLinux" "refDefault" true "default" true) | fromJson).v -}}
{{- $_ = set $s "replicas" (include "ebs.pick" (dict "ours" $c.replicas "oursName" "controller.replicas" "ref" $c.replicaCount "refName" "controller.replicaCount" "refDefault" 2 "default" 2) | fromJson).v -}}

{{- /* What the driver is told. */ -}}
{{- $_ = set $s "region" (include "ebs.pick" (dict "ours" $v.aws.region "oursName" "aws.region" "ref" $c.region "refName" "controller.region" "default" "") | fromJson).v -}}
{{- $refCluster := tpl (default "" $c.k8sTagClusterId) . -}}
{{- $_ = set $s "clusterId" (include "ebs.pick" (dict "ours" (tpl $v.aws.clusterId .) "oursName" "aws.clusterId" "ref" $refCluster "refName" "controller.k8sTagClusterId" "default" "") | fromJson).v -}}
{{- $_ = set $s "extraTags" (include "ebs.pick" (dict "ours" $v.aws.extraTags "oursName" "aws.extraTags" "ref" $c.extraVolumeTags "refName" "controller.extraVolumeTags" "default" dict) | fromJson).v -}}
{{- $_ = set $s "userAgentExtra" (include "ebs.pick" (dict "ours" $v.aws.userAgentExtra "oursName" "aws.userAgentExtra" "ref" $c.userAgentExtra "refName" "controller.userAgentExtra" "refDefault" "helm" "default" "helm") | fromJson).v -}}
{{- range $component := list "controller" "node" -}}
{{- $values := index $v $component -}}
{{- $_ := set $s (printf "%sLogFormat" $component) (include "ebs.pick" (dict "ours" $v.logging.format "oursName" "logging.format" "ref" $values.loggingFormat "refName" (printf "%s.loggingFormat" $component) "refDefault" "text" "default" "text") | fromJson).v -}}
{{- $level := (include "ebs.pick" (dict "ours" $v.logging.verbosity "oursName" "logging.verbosity" "ref" $values.logLevel "refName" (printf "%s.logLevel" $component) "refDefault" 2 "default" 2) | fromJson).v -}}
{{- $_ = set $s (printf "%sVerbosity" $component) (ternary 7 (int $level) (eq (toString $v.debugLogs) "true")) -}}
{{- $_ = set $s (printf "%sExtraArgs" $component) (include "ebs.pick" (dict "ours" $values.extraArgs "oursName" (printf "%s.extraArgs" $component) "ref" $values.additionalArgs "refName" (printf "%s.additionalArgs" $component) "default" list) | fromJson).v -}}
{{- end -}}
{{- $_ = set $s "batching" (include "ebs.pick" (dict "ours" $c.batching "oursName" "controller.batching" "ref" nil "refName" "" "default" true) | fromJson).v -}}
{{- $_ = set $s "sdkDebugLog" (or $c.sdkDebugLog $v.debugLogs) -}}

{{- /* Metrics: the reference turns them on with enableMetrics or an httpEndpoint address. */ -}}
{{- $refMetrics := ternary true nil (or (eq (toString $c.enableMetrics) "true") (not (empty $c.httpEndpoint))) -}}
{{- $controllerMetrics := (include "ebs.pick" (dict "ours" $c.metrics.enabled "oursName" "controller.metrics.enabled" "ref" $refMetrics "refName" "controller.enableMetrics/httpEndpoint" "default" true) | fromJson).v -}}
{{- $refPort := "" -}}
{{- with $c.httpEndpoint }}{{ $refPort = int (regexFind "[0-9]+$" .) }}{{ end -}}
{{- $controllerPort := (include "ebs.pick" (dict "ours" $c.metrics.port "oursName" "controller.metrics.port" "ref" $refPort "refName" "controller.httpEndpoint" "default" 3301) | fromJson).v -}}
{{- $host := "0.0.0.0" -}}
{{- with $c.httpEndpoint }}{{ $host = default "0.0.0.0" (regexReplaceAll ":?[0-9]+$" . "") }}{{ end -}}
{{- $_ = set $s "controllerMetrics" (dict "enabled" $controllerMetrics "port" (int $controllerPort) "address" (printf "%s:%d" $host (int $controllerPort))) -}}
{{- $refNodeMetrics := ternary true nil (eq (toString $n.enableMetrics) "true") -}}
{{- $nodeMetrics := (include "ebs.pick" (dict "ours" $n.metrics.enabled "oursName" "node.metrics.enabled" "ref" $refNodeMetrics "refName" "node.enableMetrics" "default" true) | fromJson).v -}}
{{- $nodePort := int (default 3302 $n.metrics.port) -}}
{{- $_ = set $s "nodeMetrics" (dict "enabled" $nodeMetrics "port" $nodePort "address" (printf "0.0.0.0:%d" $nodePort)) -}}
{{- $crd := .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" -}}
{{- range $component := list "controller" "node" -}}
{{- $values := index $v $component -}}
{{- $own := $values.serviceMonitor | default dict -}}
{{- $auto := ternary true nil (or (eq (toString $own.forceEnable) "true") $crd) -}}
{{- if and (eq (toString $v.serviceMonitor.enabled) "false") (eq (toString $own.forceEnable) "true") -}}
{{- fail (printf "serviceMonitor.enabled is false but %s.serviceMonitor.forceEnable is true; set one of them" $component) -}}
{{- end -}}
{{- $on := and (index $s (printf "%sMetrics" $component)).enabled (ternary $v.serviceMonitor.enabled $auto (not (kindIs "invalid" $v.serviceMonitor.enabled))) -}}
{{- $_ := set $s (printf "%sServiceMonitor" $component) (dict
  "enabled" (eq (toString $on) "true")
  "labels" (merge (deepCopy (default dict $own.labels)) (deepCopy (default dict $v.serviceMonitor.labels)))
  "interval" (default (default "15s" $v.serviceMonitor.interval) $own.interval)
  "relabelings" (default list $own.relabelings)) -}}
{{- end -}}

{{- /* Controller pod. */ -}}
{{- $antiAffinity := $c.podAntiAffinity -}}
{{- if kindIs "invalid" $antiAffinity }}{{ $antiAffinity = ternary "none" "preferred" (hasKey (default dict $c.affinity) "podAntiAffinity") }}{{ end -}}
{{- $_ = set $s "podAntiAffinity" $antiAffinity -}}
{{- $ourPsc := $c.podSecurityContext | default dict -}}
{{- $oursGiven := or (not (kindIs "invalid" $ourPsc.runAsUser)) (not (kindIs "invalid" $ourPsc.runAsGroup)) (not (kindIs "invalid" $ourPsc.fsGroup)) -}}
{{- $refPscDefault := dict "runAsNonRoot" true "runAsUser" 1000 "runAsGroup" 1000 "fsGroup" 1000 -}}
{{- $refPscGiven := include "ebs.given" (dict "value" $c.securityContext "refDefault" $refPscDefault) -}}
{{- if and $oursGiven $refPscGiven -}}
{{- fail "controller.podSecurityContext and controller.securityContext are both set: the second is the reference chart's pod securityContext; set one of them" -}}
{{- end -}}
{{- $psc := dict "runAsNonRoot" true "runAsUser" (int (default 1000 $ourPsc.runAsUser)) "runAsGroup" (int (default 1000 $ourPsc.runAsGroup)) "fsGroup" (int (default 1000 $ourPsc.fsGroup)) "seccompProfile" (dict "type" "RuntimeDefault") -}}
{{- if $refPscGiven }}{{ $psc = $c.securityContext }}{{ end -}}
{{- $_ = set $s "controllerPodSecurityContext" $psc -}}
{{- $pdb := $c.podDisruptionBudget -}}
{{- if or (not (kindIs "invalid" $pdb.maxUnavailable)) (not (kindIs "invalid" $pdb.minAvailable)) -}}
{{- $_ = set $s "pdb" (pick $pdb "maxUnavailable" "minAvailable") -}}
{{- else -}}
{{- $_ = set $s "pdb" (ternary (dict "maxUnavailable" 1) (dict "minAvailable" 2) (le (int $s.replicas) 2)) -}}
{{- end -}}

{{- /* Controller sidecars. */ -}}
{{- range $name := list "provisioner" "attacher" "resizer" "snapshotter" -}}
{{- $sidecar := index $v.sidecars $name -}}
{{- $_ := set $s (printf "%sLeaderElection" $name) (include "ebs.leaderElectionOf" (dict "root" $ "sidecar" $sidecar "name" $name) | fromJson) -}}
{{- end -}}
{{- range $name := list "provisioner" "attacher" "resizer" "snapshotter" "livenessProbe" "nodeDriverRegistrar" -}}
{{- $sidecar := index $v.sidecars $name -}}
{{- $_ := set $s (printf "%sExtraArgs" $name) (include "ebs.pick" (dict "ours" $sidecar.extraArgs "oursName" (printf "sidecars.%s.extraArgs" $name) "ref" $sidecar.additionalArgs "refName" (printf "sidecars.%s.additionalArgs" $name) "default" list) | fromJson).v -}}
{{- end -}}
{{- $_ = set $s "defaultFsType" (include "ebs.pick" (dict "ours" $v.sidecars.provisioner.defaultFsType "oursName" "sidecars.provisioner.defaultFsType" "ref" $c.defaultFsType "refName" "controller.defaultFsType" "refDefault" "ext4" "default" "ext4") | fromJson).v -}}
{{- $_ = set $s "extraCreateMetadata" (include "ebs.pick" (dict "ours" $v.sidecars.provisioner.extraCreateMetadata "oursName" "sidecars.provisioner.extraCreateMetadata" "ref" $c.extraCreateMetadata "refName" "controller.extraCreateMetadata" "refDefault" true "default" true) | fromJson).v -}}
{{- $_ = set $s "extraModifyMetadata" (include "ebs.pick" (dict "ours" $v.sidecars.resizer.extraModifyMetadata "oursName" "sidecars.resizer.extraModifyMetadata" "ref" $c.extraCreateMetadata "refName" "controller.extraCreateMetadata" "refDefault" true "default" true) | fromJson).v -}}

{{- /* Cluster capabilities: `helm template` without them renders for the newest Kubernetes it knows. */ -}}
{{- $kube := .Capabilities.KubeVersion.Version -}}
{{- /* The sidecars use the storage.k8s.io/v1 VolumeAttributesClass API: without it (before 1.34, even
where v1beta1 is served) the gate goes off, as the sidecars would switch it off themselves. */ -}}
{{- $vac := or (.Capabilities.APIVersions.Has "storage.k8s.io/v1/VolumeAttributesClass") (semverCompare ">=1.34.0-0" $kube) -}}
{{- $_ = set $s "vac" $vac -}}
{{- $_ = set $s "mutableAllocatable" (semverCompare ">=1.33.0-0" $kube) -}}
{{- $period := $v.nodeAllocatableUpdatePeriodSeconds -}}
{{- if and $s.mutableAllocatable (not (kindIs "invalid" $period)) (ne (int $period) 0) -}}
{{- $_ = set $s "allocatablePeriod" (ternary 10 (int $period) (eq (int $period) -1)) -}}
{{- end -}}
{{- $_ = set $s "pdbApi" (ternary "policy/v1" "policy/v1beta1" (or (.Capabilities.APIVersions.Has "policy/v1/PodDisruptionBudget") (semverCompare ">=1.21.0-0" $kube))) -}}
{{- $_ = set $s "nodeNamespace" (default .Release.Namespace $n.namespaceOverride) -}}
{{- toJson $s -}}
{{- end -}}
