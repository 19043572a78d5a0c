// Every flag the driver accepts: its own, and every flag of the reference driver (v1.64:
// its options, its klog/logs flags and --version), so that a manifest, kustomize overlay or
// add-on configuration written for the reference never stops this driver. A reference flag
// whose behaviour this driver does not have is accepted and named in one start-up warning.
import type { FlagShape } from './argv.js';

export type Mode = 'controller' | 'node' | 'all' | 'pre-stop-hook';
export const MODES: readonly Mode[] = ['controller', 'node', 'all', 'pre-stop-hook'];

export interface FlagSpec extends FlagShape {
  readonly help: string;
  /** The modes in which the flag means something; a warning names it in the others. */
  readonly modes?: readonly Mode[];
  /** Accepted for compatibility, no effect here: why, for the start-up warning and --help. */
  readonly inert?: string;
}

const CONTROLLER: readonly Mode[] = ['controller', 'all'];
const NODE: readonly Mode[] = ['node', 'all'];

export const DEFAULT_DRIVER_NAME = 'ebs.csi.aws.com';
export const DEFAULT_ENDPOINT = 'unix:///var/lib/csi/sockets/pluginproxy/csi.sock';

/** Every option the driver accepts; the Helm chart's tests check its args against this list. */
export const OPTION_SPEC = {
  endpoint: { type: 'string', help: `CSI endpoint: unix:///path/to/csi.sock, unix:/path or a path (default ${DEFAULT_ENDPOINT})` },
  'http-endpoint': { type: 'string', help: 'address for Prometheus metrics and /healthz, e.g. 0.0.0.0:3301 (off by default)' },
  'metrics-cert-file': { type: 'string', help: 'serve metrics over HTTPS with this certificate (PEM; needs --metrics-key-file)' },
  'metrics-key-file': { type: 'string', help: 'private key (PEM) for --metrics-cert-file' },
  'deprecated-metrics': { type: 'boolean', help: 'also export the EC2 metrics under the old cloudprovider_aws_* names', modes: CONTROLLER },
  kubeconfig: { type: 'string', help: 'kubeconfig file for the Kubernetes API (default: the pod\'s service account)' },
  'metadata-sources': { type: 'string', help: 'where the node (and a controller without AWS_REGION) learns its instance, in order: imds, kubernetes (default imds,kubernetes)' },
  'pre-stop-timeout': { type: 'string', help: 'pre-stop-hook: stop waiting for volume detachments after this many seconds (default: until the pod is killed)', modes: ['pre-stop-hook'] },
  'extra-tags': { type: 'string', help: 'tags added to every volume and snapshot: key1=value1,key2=value2; values may be templates', modes: CONTROLLER },
  'extra-volume-tags': { type: 'string', help: 'older form of --extra-tags for volumes only (the reference ignores it; here it tags volumes)', modes: CONTROLLER },
  'k8s-tag-cluster-id': { type: 'string', help: 'cluster id for the kubernetes.io/cluster/<id>, Name and cluster-name tags', modes: CONTROLLER },
  'warn-on-invalid-tag': { type: 'boolean', help: 'leave out an invalid tag with a warning instead of failing the request', modes: CONTROLLER },
  'user-agent-extra': { type: 'string', help: 'text appended to the EC2 user agent', modes: CONTROLLER },
  'aws-sdk-debug-log': { type: 'boolean', help: 'log every AWS SDK request and response', modes: CONTROLLER },
  batching: { type: 'boolean', help: 'merge concurrent EC2 Describe calls into batched ones (on unless --batching=false)', modes: CONTROLLER },
  'modify-volume-request-handler-timeout': {
    type: 'string', help: 'how long an expansion or modification waits for others to the same volume to merge with (default 2s)', modes: CONTROLLER,
  },
  'driver-name': { type: 'string', help: `CSI driver name (default ${DEFAULT_DRIVER_NAME})` },
  'volume-attach-limit': { type: 'string', help: 'report this many attachable volumes instead of the instance type\'s limit (-1: work it out)', modes: NODE },
  'reserved-volume-attachments': { type: 'string', help: 'attachment slots kept for volumes the driver does not manage (-1: count them)', modes: NODE },
  'legacy-xfs': { type: 'boolean', help: 'format XFS so that Linux 5.4 and older can mount it (no bigtime, inobtcount, reflink, nrext64)', modes: NODE },
  'logging-format': { type: 'string', help: 'text or json (default text)' },
  v: { type: 'string', short: 'v', help: 'log verbosity like klog: 0-3 info, 4-5 debug, 6+ trace (default 2)' },
  'log-text-split-stream': { type: 'boolean', help: 'text logs: errors to stderr, the rest to stdout' },
  'log-json-split-stream': { type: 'boolean', help: 'json logs: errors to stderr, the rest to stdout' },
  'log-flush-frequency': { type: 'string', help: 'accepted: logs are written unbuffered', inert: 'logs are written unbuffered' },
  'log-text-info-buffer-size': { type: 'string', help: 'accepted: logs are written unbuffered', inert: 'logs are written unbuffered' },
  'log-json-info-buffer-size': { type: 'string', help: 'accepted: logs are written unbuffered', inert: 'logs are written unbuffered' },
  vmodule: { type: 'string', help: 'accepted: verbosity is per process, not per source file', inert: 'verbosity is per process' },
  logtostderr: { type: 'boolean', help: 'accepted: logs always go to standard output', inert: 'logs always go to standard output' },
  'enable-otel-tracing': { type: 'boolean', help: 'accepted: no OpenTelemetry tracing here', inert: 'no OpenTelemetry tracing' },
  'enable-node-local-volumes': { type: 'boolean', help: 'accepted: node-local volumes are not offered', inert: 'node-local volumes are not offered', modes: CONTROLLER },
  'windows-host-process': { type: 'boolean', help: 'accepted: Linux nodes only', inert: 'Linux nodes only', modes: NODE },
  'csi-mount-point-prefix': { type: 'string', help: 'accepted: no NVMe performance metrics here', inert: 'no NVMe performance metrics', modes: NODE },
  help: { type: 'boolean', short: 'h', help: 'print this help and exit' },
  version: { type: 'boolean', help: 'print the version and exit' },
} as const satisfies Readonly<Record<string, FlagSpec>>;

export type OptionName = keyof typeof OPTION_SPEC;

export const specOf = (name: OptionName): FlagSpec => OPTION_SPEC[name];
