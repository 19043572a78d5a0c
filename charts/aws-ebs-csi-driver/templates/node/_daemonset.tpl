{{/*
One node-plugin DaemonSet; call with (dict "root" $ "settings" $s "node" <node values> "name" <object name>
and, for an additional DaemonSet, "app" <its own selector label>).
*/}}
{{- define "ebs.nodeDaemonSet" -}}
{{- $root := .root }}
{{- $s := .settings }}
{{- $n := .node }}
{{- $kubeletPath := trimSuffix "/" $n.kubeletPath }}
{{- $pluginDir := printf "%s/plugins/%s" $kubeletPath $root.Values.driverName }}
{{- $selector := include "ebs.selectorLabels" (dict "root" $root "component" "node" "app" .app) | fromYaml }}
{{- $sidecars := $root.Values.sidecars }}
{{- $metrics := $s.nodeMetrics }}
{{- $extraArgs := (include "ebs.pick" (dict "ours" $n.extraArgs "oursName" "node.extraArgs" "ref" $n.additionalArgs "refName" "node.additionalArgs" "default" list) | fromJson).v }}
{{- $registrar := $sidecars.nodeDriverRegistrar }}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ .name }}
  namespace: {{ $s.nodeNamespace }}
  labels:
    {{- include "ebs.labels" $root | nindent 4 }}
    app.kubernetes.io/component: node
  {{- with $n.daemonSetAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  revisionHistoryLimit: {{ $n.revisionHistoryLimit }}
  updateStrategy:
    {{- toYaml $n.updateStrategy | nindent 4 }}
  selector:
    matchLabels:
      {{- toYaml $selector | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "ebs.podLabels" (dict "root" $root "selector" $selector "component" "node" "extra" $n.podLabels) | nindent 8 }}
      {{- with $n.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ $n.serviceAccount.name }}
      priorityClassName: {{ default "system-node-critical" $n.priorityClassName | quote }}
      terminationGracePeriodSeconds: {{ $n.terminationGracePeriodSeconds }}
      {{- if $n.hostNetwork }}
      hostNetwork: true
      dnsPolicy: ClusterFirstWithHostNet
      {{- end }}
      {{- with $n.dnsConfig }}
      dnsConfig:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      nodeSelector:
        {{- include "ebs.linuxNodeSelector" $n.nodeSelector | nindent 8 }}
      tolerations:
        {{- if $n.tolerateAllTaints }}
        - operator: Exists
        {{- else }}
        {{- with $n.tolerations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        # As in the reference chart: not before the driver is ready, and not evicted while a
        # cluster autoscaler or Karpenter drains the node (volumes must still be unmounted).
        - key: ebs.csi.aws.com/agent-not-ready
          operator: Exists
        - key: ToBeDeletedByClusterAutoscaler
          operator: Exists
        - key: karpenter.sh/disrupted
          operator: Exists
        - key: karpenter.sh/disruption
          operator: Exists
        {{- end }}
      {{- with $n.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with (include "ebs.imagePullSecrets" $root) }}
      imagePullSecrets:
        {{- . | nindent 8 }}
      {{- end }}
      # Root: the plugin formats and mounts devices and the registrar writes into kubelet's directories.
      securityContext:
        {{- if $n.securityContext }}
        {{- toYaml $n.securityContext | nindent 8 }}
        {{- else }}
        runAsNonRoot: false
        runAsUser: 0
        runAsGroup: 0
        fsGroup: 0
        seccompProfile:
          type: RuntimeDefault
        {{- end }}
      {{- with $n.initContainers }}
      initContainers:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: ebs-plugin
          image: {{ include "ebs.driverImage" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args:
            - node
            - --endpoint=unix:///csi/csi.sock
            - --driver-name={{ $root.Values.driverName }}
            - --logging-format={{ $s.nodeLogFormat }}
            - --v={{ $s.nodeVerbosity }}
            {{- if $metrics.enabled }}
            - --http-endpoint={{ $metrics.address }}
            {{- end }}
            {{- if and (not (kindIs "invalid" $n.volumeAttachLimit)) (ne (int $n.volumeAttachLimit) -1) }}
            - --volume-attach-limit={{ $n.volumeAttachLimit }}
            {{- end }}
            {{- if and (not (kindIs "invalid" $n.reservedVolumeAttachments)) (ne (int $n.reservedVolumeAttachments) -1) }}
            - --reserved-volume-attachments={{ $n.reservedVolumeAttachments }}
            {{- end }}
            {{- if $n.legacyXFS }}
            - --legacy-xfs=true
            {{- end }}
            {{- with $n.metadataSources }}
            - --metadata-sources={{ . }}
            {{- end }}
            {{- with $extraArgs }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          env:
            # The driver names itself after its Node object (and reads it when IMDS is unreachable).
            - name: CSI_NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
            {{- with include "ebs.awsEnv" (dict "root" $root "settings" $s) }}{{ . | trim | nindent 12 }}{{ end }}
            {{- with $root.Values.aws.metadataEndpoint }}
            - name: AWS_EC2_METADATA_SERVICE_ENDPOINT
              value: {{ . | quote }}
            {{- end }}
            {{- if $n.serviceAccount.disableMutation }}
            - name: DISABLE_TAINT_WATCHER
              value: "true"
            {{- end }}
            {{- with $n.env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with $n.envFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: healthz
              containerPort: {{ $n.healthPort }}
              protocol: TCP
            {{- if $metrics.enabled }}
            - name: metrics
              containerPort: {{ $metrics.port }}
              protocol: TCP
            {{- end }}
          # While the node drains, keep the plugin until its volumes are detached (values.yaml,
          # node.terminationGracePeriodSeconds); the hook leaves 5 seconds of the grace period for the stop.
          lifecycle:
            preStop:
              exec:
                command:
                  {{- include "ebs.driverCommand" $root | nindent 18 }}
                  - pre-stop-hook
                  # The plugin's driver name (the hook waits for that attacher's VolumeAttachments) and log settings.
                  - --driver-name={{ $root.Values.driverName }}
                  - --logging-format={{ $s.nodeLogFormat }}
                  - --v={{ $s.nodeVerbosity }}
                  - --pre-stop-timeout={{ max 1 (sub (int $n.terminationGracePeriodSeconds) 5) }}
          # The livenessprobe sidecar answers on healthz by calling the driver's Probe over the socket.
          livenessProbe:
            httpGet:
              path: /healthz
              port: healthz
            initialDelaySeconds: 10
            timeoutSeconds: 3
            periodSeconds: 10
            failureThreshold: 5
          volumeMounts:
            # Bidirectional: mounts the plugin makes under kubelet's directory must reach the host.
            - name: kubelet-dir
              mountPath: {{ $kubeletPath }}
              mountPropagation: Bidirectional
            - name: plugin-dir
              mountPath: /csi
            - name: device-dir
              mountPath: /dev
            {{- with $n.volumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          resources:
            {{- toYaml $n.resources | nindent 12 }}
          securityContext:
            {{- if $n.containerSecurityContext }}
            {{- toYaml $n.containerSecurityContext | nindent 12 }}
            {{- else }}
            privileged: true
            readOnlyRootFilesystem: true
            {{- end }}
        {{- with $registrar }}
        - name: node-driver-registrar
          image: {{ include "ebs.sidecarImage" (dict "root" $root "sidecar" .) }}
          imagePullPolicy: {{ .image.pullPolicy }}
          args:
            - --csi-address=/csi/csi.sock
            - --kubelet-registration-path={{ $pluginDir }}/csi.sock
            - --v={{ ternary 7 .logLevel (eq (toString $root.Values.debugLogs) "true") }}
            {{- if .livenessProbe }}
            - --http-endpoint=0.0.0.0:{{ default 9809 .healthPort }}
            {{- end }}
            {{- with $s.nodeDriverRegistrarExtraArgs }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with .env }}
          env:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $n.envFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- if .livenessProbe }}
          ports:
            - name: healthz-ndr
              containerPort: {{ default 9809 .healthPort }}
          livenessProbe:
            {{- toYaml .livenessProbe | nindent 12 }}
          {{- else }}
          # Fails when kubelet has not registered the plugin, so a lost registration restarts the registrar.
          livenessProbe:
            exec:
              command:
                - /csi-node-driver-registrar
                - --kubelet-registration-path={{ $pluginDir }}/csi.sock
                - --mode=kubelet-registration-probe
            initialDelaySeconds: 30
            periodSeconds: 90
            timeoutSeconds: 15
          {{- end }}
          volumeMounts:
            - name: plugin-dir
              mountPath: /csi
            - name: registration-dir
              mountPath: /registration
          resources:
            {{- include "ebs.sidecarResources" (dict "resources" .resources "fallback" (dict "requests" (dict "cpu" "10m" "memory" "32Mi") "limits" (dict "memory" "32Mi"))) | nindent 12 }}
          securityContext:
            {{- include "ebs.containerSecurityContext" .securityContext | nindent 12 }}
        {{- end }}
        {{- with $sidecars.livenessProbe }}
        - name: liveness-probe
          image: {{ include "ebs.sidecarImage" (dict "root" $root "sidecar" .) }}
          imagePullPolicy: {{ .image.pullPolicy }}
          args:
            - --csi-address=/csi/csi.sock
            - --http-endpoint=0.0.0.0:{{ $n.healthPort }}
            - --probe-timeout={{ .probeTimeout }}
            {{- with $s.livenessProbeExtraArgs }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with $n.envFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          volumeMounts:
            - name: plugin-dir
              mountPath: /csi
          resources:
            {{- include "ebs.sidecarResources" (dict "resources" .resources "fallback" (dict "requests" (dict "cpu" "10m" "memory" "32Mi") "limits" (dict "memory" "32Mi"))) | nindent 12 }}
          securityContext:
            {{- include "ebs.containerSecurityContext" .securityContext | nindent 12 }}
        {{- end }}
      volumes:
        - name: kubelet-dir
          hostPath:
            path: {{ $kubeletPath }}
            type: Directory
        - name: plugin-dir
          hostPath:
            path: {{ $pluginDir }}/
            type: DirectoryOrCreate
        - name: registration-dir
          hostPath:
            path: {{ $kubeletPath }}/plugins_registry/
            type: Directory
        - name: device-dir
          hostPath:
            path: /dev
            type: Directory
        {{- with $n.volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end -}}
