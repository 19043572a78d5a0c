// Command line of the driver, shaped like the reference driver's:
//   ebs-csi-driver [controller|node|all] --endpoint unix:///path/csi.sock [options]
//   ebs-csi-driver pre-stop-hook [--kubeconfig FILE] [--pre-stop-timeout SECONDS]
// parseOptions never exits: it returns the options, or throws UsageError with a one-line reason.
import { parseArgs } from 'node:util';
import type { LogFormat } from './logger.js';
import { DEFAULT_METADATA_SOURCES, METADATA_SOURCES, type MetadataSource } from './metadata/types.js';
import { parseHttpEndpoint } from './metrics/http.js';
import { parseTagList } from './tags.js';

export type Mode = 'controller' | 'node' | 'all' | 'pre-stop-hook';
const MODES: readonly Mode[] = ['controller', 'node', 'all', 'pre-stop-hook'];

export interface DriverOptions {
  readonly mode: Mode;
  readonly endpoint: string;
  readonly httpEndpoint?: string;
  readonly extraTags: Readonly<Record<string, string>>;
  readonly clusterId?: string;
  readonly driverName: string;
  readonly loggingFormat: LogFormat;
  readonly logLevel: string;
  readonly volumeAttachLimit?: number;
  readonly reservedVolumeAttachments?: number;
  readonly userAgentExtra?: string;
  /** --kubeconfig: talk to the API server this file names instead of the in-cluster one. */
  readonly kubeconfig?: string;
  /** --metadata-sources: where the node plugin learns its identity, in order. */
  readonly metadataSources: readonly MetadataSource[];
  /** --pre-stop-timeout: pre-stop-hook gives up waiting after this many seconds. */
  readonly preStopTimeoutSeconds?: number;
}

export type CliResult = { kind: 'run'; options: DriverOptions } | { kind: 'help' } | { kind: 'version' };

export class UsageError extends Error {
  override name = 'UsageError';
}

export const DEFAULT_DRIVER_NAME = 'ebs.csi.aws.com';
export const DEFAULT_ENDPOINT = 'unix:///var/lib/csi/sockets/pluginproxy/csi.sock';

/** Every option the driver accepts; the Helm chart's tests check its args against this list. */
export const OPTION_SPEC = {
  endpoint: { type: 'string', help: `CSI endpoint, unix:///path/to/csi.sock (default ${DEFAULT_ENDPOINT})` },
  'http-endpoint': { type: 'string', help: 'address for Prometheus metrics and /healthz, e.g. 0.0.0.0:3301 (off by default)' },
  'extra-tags': { type: 'string', help: 'tags added to every volume and snapshot: key1=value1,key2=value2' },
  'k8s-tag-cluster-id': { type: 'string', help: 'cluster id for the kubernetes.io/cluster/<id> ownership tags' },
  'driver-name': { type: 'string', help: `CSI driver name (default ${DEFAULT_DRIVER_NAME})` },
  'logging-format': { type: 'string', help: 'text or json (default text)' },
  v: { type: 'string', short: 'v', help: 'log verbosity like klog: 0-3 info, 4-5 debug, 6+ trace (default 2)' },
  'volume-attach-limit': { type: 'string', help: 'node: report this many attachable volumes instead of the instance type\'s limit' },
  'reserved-volume-attachments': { type: 'string', help: 'node: attachment slots kept for volumes the driver does not manage' },
  'user-agent-extra': { type: 'string', help: 'text appended to the EC2 user agent' },
  kubeconfig: { type: 'string', help: 'kubeconfig file for the Kubernetes API (default: the pod\'s service account)' },
  'metadata-sources': { type: 'string', help: `node: where to learn the instance id, zone and type, tried in order: ${METADATA_SOURCES.join(',')} (default imds,kubernetes)` },
  'pre-stop-timeout': { type: 'string', help: 'pre-stop-hook: stop waiting for volume detachments after this many seconds (default: until the pod is killed)' },
  help: { type: 'boolean', short: 'h', help: 'print this help and exit' },
  version: { type: 'boolean', help: 'print the version and exit' },
} as const;

export function usage(): string {
  const lines = Object.entries(OPTION_SPEC).map(([name, spec]) => {
    const flag = `--${name}${spec.type === 'string' ? ' VALUE' : ''}`;
    return `  ${flag.padEnd(38)}${spec.help}`;
  });
  return ['Usage: ebs-csi-driver [controller|node|all|pre-stop-hook] [options]', '', 'Options:', ...lines].join('\n');
}

function nonNegativeInt(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`--${name} must be a whole number ≥ ${min}; got "${value}"`);
  }
  return Number(value);
}

function logLevelFor(v: string | undefined): string {
  const n = nonNegativeInt('v', v, 0) ?? 2;
  return n >= 6 ? 'trace' : n >= 4 ? 'debug' : 'info';
}

export function parseOptions(argv: readonly string[]): CliResult {
  const spec = Object.fromEntries(Object.entries(OPTION_SPEC).map(([k, v]) => [k, { type: v.type, ...('short' in v ? { short: v.short } : {}) }]));
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: spec, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  const str = (k: keyof typeof OPTION_SPEC): string | undefined => {
    const v = values[k];
    return typeof v === 'string' ? v : undefined;
  };

  if (parsed.positionals.length > 1) throw new UsageError(`expected at most one mode, got: ${parsed.positionals.join(' ')}`);
  const mode = parsed.positionals[0] ?? 'all';
  if (!isMode(mode)) throw new UsageError(`mode must be one of ${MODES.join(', ')}; got "${mode}"`);
  const format = str('logging-format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--logging-format must be text or json; got "${format}"`);
  const endpoint = str('endpoint') ?? DEFAULT_ENDPOINT;
  if (!endpoint.startsWith('unix://') && !endpoint.startsWith('/')) {
    throw new UsageError(`--endpoint must be unix:///absolute/path.sock; got "${endpoint}"`);
  }
  const driverName = str('driver-name') ?? DEFAULT_DRIVER_NAME;
  // CSI: the name is a reverse domain name of at most 63 characters.
  if (!/^[a-zA-Z0-9]([-a-zA-Z0-9.]{0,61}[a-zA-Z0-9])?$/.test(driverName)) {
    throw new UsageError(`--driver-name must be a domain-like name of at most 63 characters; got "${driverName}"`);
  }
  let extraTags: Record<string, string> = {};
  try {
    extraTags = parseTagList(str('extra-tags') ?? '');
  } catch (err) {
    throw new UsageError(`--extra-tags: ${err instanceof Error ? err.message : String(err)}`);
  }
  const httpEndpoint = str('http-endpoint');
  if (httpEndpoint !== undefined) {
    try {
      parseHttpEndpoint(httpEndpoint);
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
  }
  const clusterId = str('k8s-tag-cluster-id');
  if (clusterId !== undefined && !/^[\w.-]{1,128}$/.test(clusterId)) {
    throw new UsageError(`--k8s-tag-cluster-id may hold letters, digits, '.', '_' and '-' (1-128); got "${clusterId}"`);
  }
  const kubeconfig = str('kubeconfig');
  if (kubeconfig !== undefined && kubeconfig.trim() === '') throw new UsageError('--kubeconfig must name a file');
  return {
    kind: 'run',
    options: {
      mode, endpoint, driverName, extraTags, loggingFormat: format, logLevel: logLevelFor(str('v')),
      metadataSources: parseMetadataSources(str('metadata-sources')),
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
      ...optionalInt('preStopTimeoutSeconds', nonNegativeInt('pre-stop-timeout', str('pre-stop-timeout'), 1)),
      ...(httpEndpoint !== undefined ? { httpEndpoint } : {}),
      ...(clusterId !== undefined ? { clusterId } : {}),
      ...(str('user-agent-extra') !== undefined ? { userAgentExtra: str('user-agent-extra') } : {}),
      ...optionalInt('volumeAttachLimit', nonNegativeInt('volume-attach-limit', str('volume-attach-limit'), 1)),
      ...optionalInt('reservedVolumeAttachments', nonNegativeInt('reserved-volume-attachments', str('reserved-volume-attachments'), 0)),
    },
  };
}

function optionalInt<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

function isMode(value: string): value is Mode {
  return (MODES as readonly string[]).includes(value);
}

/** "imds,kubernetes" → the sources in order; each must be known, none empty. */
export function parseMetadataSources(value: string | undefined): MetadataSource[] {
  if (value === undefined) return [...DEFAULT_METADATA_SOURCES];
  const sources = value.split(',').map((s) => s.trim());
  for (const source of sources) {
    if (!(METADATA_SOURCES as readonly string[]).includes(source)) {
      throw new UsageError(`--metadata-sources takes a comma-separated list of ${METADATA_SOURCES.join(', ')}; got "${source}" in "${value}"`
        + (source === 'metadata-labeler' ? ' (the metadata-labeler source is not supported)' : ''));
    }
  }
  return sources as MetadataSource[];
}
