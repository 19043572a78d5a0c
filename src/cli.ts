// Command line of the driver, shaped like the reference driver's:
//   ebs-csi-driver [controller|node|all] --endpoint unix:///path/csi.sock [options]
//   ebs-csi-driver pre-stop-hook [--kubeconfig FILE] [--pre-stop-timeout SECONDS]
// Every flag of the reference is accepted (src/cli/flags.ts): those this driver has the
// behaviour for are honoured, the rest are named in one start-up warning. parseOptions never
// exits: it returns the options, or throws UsageError with a one-line reason.
import { ArgvError, parseGoDuration, splitArgv, type ParsedArgv } from './cli/argv.js';
import { DEFAULT_DRIVER_NAME, DEFAULT_ENDPOINT, MODES, OPTION_SPEC, specOf, type Mode, type OptionName } from './cli/flags.js';
import type { LogFormat } from './logger.js';
import { DEFAULT_METADATA_SOURCES, type MetadataSource } from './metadata/types.js';
import { parseHttpEndpoint } from './metrics/http.js';
import { parseTagList } from './tags.js';
import { compileTemplate, isPlainText, templateProblem } from './template/index.js';

export { DEFAULT_DRIVER_NAME, DEFAULT_ENDPOINT, OPTION_SPEC, type Mode } from './cli/flags.js';


export interface DriverOptions {
  readonly mode: Mode;
  readonly endpoint: string;
  readonly httpEndpoint?: string;
  /** Serve metrics over HTTPS (both set together). */
  readonly metricsTls?: { readonly certFile: string; readonly keyFile: string };
  /** Also export the EC2 metrics under the reference's deprecated cloudprovider_aws_* names. */
  readonly deprecatedMetrics: boolean;
  /** Checked keys; values may be templates (rendered per volume or snapshot). */
  readonly extraTags: Readonly<Record<string, string>>;
  /** --extra-volume-tags: like --extra-tags, volumes only. */
  readonly extraVolumeTags: Readonly<Record<string, string>>;
  readonly clusterId?: string;
  readonly warnOnInvalidTag: boolean;
  readonly driverName: string;
  readonly loggingFormat: LogFormat;
  readonly logLevel: string;
  /** Errors to stderr, the rest to stdout (--log-text-split-stream / --log-json-split-stream). */
  readonly logSplitStream: boolean;
  readonly volumeAttachLimit?: number;
  readonly reservedVolumeAttachments?: number;
  readonly userAgentExtra?: string;
  readonly awsSdkDebugLog: boolean;
  /** Coalesce concurrent EC2 Describe calls (--batching; on unless turned off). */
  readonly batching: boolean;
  /** Window in which expansions and modifications of one volume merge into one ModifyVolume. */
  readonly modifyVolumeWindowMs: number;
  readonly legacyXfs: boolean;
  /** --kubeconfig: talk to the API server this file names instead of the in-cluster one. */
  readonly kubeconfig?: string;
  /** --metadata-sources: where the node plugin (and a controller without a region) learns its identity, in order. */
  readonly metadataSources: readonly MetadataSource[];
  /** --pre-stop-timeout: pre-stop-hook gives up waiting after this many seconds. */
  readonly preStopTimeoutSeconds?: number;
  /** Things to say once the logger exists: flags without effect here, values overridden. */
  readonly warnings: readonly string[];
}

export type CliResult = { kind: 'run'; options: DriverOptions } | { kind: 'help' } | { kind: 'version' };

export class UsageError extends Error {
  override name = 'UsageError';
}

const DEFAULT_MODIFY_WINDOW_MS = 2000;

export function usage(): string {
  const line = ([name, spec]: [string, (typeof OPTION_SPEC)[OptionName]]): string => {
    const flag = `--${name}${spec.type === 'string' ? ' VALUE' : ''}`;
    return `  ${flag.padEnd(46)}${spec.help}`;
  };
  const entries = Object.entries(OPTION_SPEC) as [OptionName, (typeof OPTION_SPEC)[OptionName]][];
  return [
    'Usage: ebs-csi-driver [controller|node|all|pre-stop-hook] [options]', '', 'Options:',
    ...entries.filter(([, s]) => !('inert' in s)).map(line),
    '', 'Accepted for compatibility with the reference driver, without effect here:',
    ...entries.filter(([, s]) => 'inert' in s).map(line),
  ].join('\n');
}

/** Typed access to the split command line. */
class Values {
  constructor(private readonly parsed: ParsedArgv) {}

  all(name: OptionName): readonly string[] {
    return this.parsed.values.get(name) ?? [];
  }

  last(name: OptionName): string | undefined {
    return this.all(name).at(-1);
  }

  flag(name: OptionName, fallback: boolean): boolean {
    const value = this.last(name);
    return value === undefined ? fallback : value === 'true';
  }
}

/** A whole number ≥ min; -1 (the reference's "not set") gives undefined. */
function count(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined || value.trim() === '-1') return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min) {
    throw new UsageError(`--${name} must be a whole number ≥ ${min} (or -1 for unset); got "${value}"`);
  }
  return Number(value);
}

function logLevelFor(v: string | undefined): string {
  if (v !== undefined && !/^\d+$/.test(v)) throw new UsageError(`--v must be a whole number ≥ 0; got "${v}"`);
  const n = Number(v ?? 2);
  return n >= 6 ? 'trace' : n >= 4 ? 'debug' : 'info';
}

function endpointOf(text: string | undefined): string {
  const endpoint = text ?? DEFAULT_ENDPOINT;
  // The reference chart's node passes "unix:/csi/csi.sock"; both URL forms name a path.
  if (!/^unix:\/\/\//.test(endpoint) && !/^unix:\/[^/]/.test(endpoint) && !endpoint.startsWith('/')) {
    throw new UsageError(`--endpoint must be a UNIX socket: unix:///absolute/path.sock, unix:/absolute/path.sock or /absolute/path.sock; got "${endpoint}"`);
  }
  return endpoint;
}

/**
 * Tags from every --extra-tags (or --extra-volume-tags) given, merged. A value that is not a
 * valid template fails start-up, or is left out with a warning under --warn-on-invalid-tag.
 */
function tagsOf(name: OptionName, values: readonly string[], warnOnly: boolean, warnings: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const text of values) {
    try {
      Object.assign(tags, parseTagList(text));
    } catch (err) {
      throw new UsageError(`--${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  for (const [key, value] of Object.entries(tags)) {
    if (isPlainText(value)) continue;
    try {
      compileTemplate(value);
    } catch (err) {
      const problem = `--${name} ${key}: template ${JSON.stringify(value)} is invalid: ${templateProblem(err)}`;
      if (!warnOnly) throw new UsageError(problem);
      warnings.push(`${problem}; the tag is left out (--warn-on-invalid-tag)`);
      delete tags[key];
    }
  }
  return tags;
}

function isMode(value: string): value is Mode {
  return (MODES as readonly string[]).includes(value);
}

function metadataSourcesOf(values: readonly string[], warnings: string[]): MetadataSource[] {
  if (values.length === 0) return [...DEFAULT_METADATA_SOURCES];
  const sources: MetadataSource[] = [];
  for (const item of values.flatMap((v) => v.split(',')).map((s) => s.trim().toLowerCase())) {
    if (item === 'imds' || item === 'kubernetes') {
      if (!sources.includes(item)) sources.push(item);
    } else if (item === 'metadata-labeler') {
      warnings.push('--metadata-sources: metadata-labeler is not offered here (no labeler); using the other sources');
    } else {
      throw new UsageError(`--metadata-sources must list imds, kubernetes or metadata-labeler; got "${item}"`);
    }
  }
  if (sources.length === 0) throw new UsageError('--metadata-sources names no source this driver offers; use imds and/or kubernetes');
  return sources;
}

/** One line naming the reference flags given that do nothing here (or nothing in this mode). */
function inertFlagsWarning(parsed: ParsedArgv, mode: Mode): string | undefined {
  const notes: string[] = [];
  for (const [name, given] of parsed.values) {
    const spec = specOf(name as OptionName);
    const on = spec.type === 'string' || given.at(-1) === 'true';
    if (!on) continue;
    if (spec.inert) notes.push(`--${name} (${spec.inert})`);
    else if (spec.modes && !spec.modes.includes(mode)) notes.push(`--${name} (${mode} mode)`);
  }
  return notes.length > 0 ? `flags of the reference driver that have no effect here: ${notes.join(', ')}` : undefined;
}

export function parseOptions(argv: readonly string[]): CliResult {
  let parsed: ParsedArgv;
  try {
    parsed = splitArgv(argv, OPTION_SPEC);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const v = new Values(parsed);
  if (v.flag('help', false)) return { kind: 'help' };
  if (v.flag('version', false)) return { kind: 'version' };

  if (parsed.positionals.length > 1) throw new UsageError(`expected at most one mode, got: ${parsed.positionals.join(' ')}`);
  const mode = parsed.positionals[0] ?? 'all';
  if (!isMode(mode)) throw new UsageError(`mode must be one of ${MODES.join(', ')}; got "${mode}"`);
  const warnings: string[] = [];
  const format = v.last('logging-format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--logging-format must be text or json; got "${format}"`);
  const driverName = v.last('driver-name') ?? DEFAULT_DRIVER_NAME;
  // CSI: the name is a reverse domain name of at most 63 characters.
  if (!/^[a-zA-Z0-9]([-a-zA-Z0-9.]{0,61}[a-zA-Z0-9])?$/.test(driverName)) {
    throw new UsageError(`--driver-name must be a domain-like name of at most 63 characters; got "${driverName}"`);
  }
  const warnOnInvalidTag = v.flag('warn-on-invalid-tag', false);
  const httpEndpoint = v.last('http-endpoint');
  if (httpEndpoint !== undefined) {
    try {
      parseHttpEndpoint(httpEndpoint);
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
  }
  const certFile = v.last('metrics-cert-file');
  const keyFile = v.last('metrics-key-file');
  if ((certFile === undefined) !== (keyFile === undefined) || (certFile !== undefined && httpEndpoint === undefined)) {
    throw new UsageError('HTTPS metrics need all of --http-endpoint, --metrics-cert-file and --metrics-key-file');
  }
  const clusterId = v.last('k8s-tag-cluster-id');
  if (clusterId !== undefined && !/^[\w.-]{1,128}$/.test(clusterId)) {
    throw new UsageError(`--k8s-tag-cluster-id may hold letters, digits, '.', '_' and '-' (1-128); got "${clusterId}"`);
  }
  const volumeAttachLimit = count('volume-attach-limit', v.last('volume-attach-limit'), 1);
  let reservedVolumeAttachments = count('reserved-volume-attachments', v.last('reserved-volume-attachments'), 0);
  if (volumeAttachLimit !== undefined && reservedVolumeAttachments !== undefined) {
    // The reference refuses both; its documentation says the limit overrides, so take that.
    warnings.push(`--volume-attach-limit ${volumeAttachLimit} overrides --reserved-volume-attachments ${reservedVolumeAttachments}; give only one`);
    reservedVolumeAttachments = undefined;
  }
  let modifyVolumeWindowMs = DEFAULT_MODIFY_WINDOW_MS;
  try {
    const window = v.last('modify-volume-request-handler-timeout');
    if (window !== undefined) modifyVolumeWindowMs = parseGoDuration('modify-volume-request-handler-timeout', window);
  } catch (err) {
    throw new UsageError(err instanceof ArgvError ? err.message : String(err));
  }
  const kubeconfig = v.last('kubeconfig');
  if (kubeconfig !== undefined && kubeconfig.trim() === '') throw new UsageError('--kubeconfig must name a file');
  const preStopTimeoutSeconds = count('pre-stop-timeout', v.last('pre-stop-timeout'), 1);
  const splitFlag = format === 'json' ? 'log-json-split-stream' : 'log-text-split-stream';
  const inert = inertFlagsWarning(parsed, mode);
  if (inert) warnings.unshift(inert);
  return {
    kind: 'run',
    options: {
      mode,
      endpoint: endpointOf(v.last('endpoint')),
      driverName,
      extraTags: tagsOf('extra-tags', v.all('extra-tags'), warnOnInvalidTag, warnings),
      extraVolumeTags: tagsOf('extra-volume-tags', v.all('extra-volume-tags'), warnOnInvalidTag, warnings),
      warnOnInvalidTag,
      loggingFormat: format,
      logLevel: logLevelFor(v.last('v')),
      logSplitStream: v.flag(splitFlag, false),
      deprecatedMetrics: v.flag('deprecated-metrics', false),
      awsSdkDebugLog: v.flag('aws-sdk-debug-log', false),
      batching: v.flag('batching', true),
      modifyVolumeWindowMs,
      legacyXfs: v.flag('legacy-xfs', false),
      metadataSources: metadataSourcesOf(v.all('metadata-sources'), warnings),
      warnings,
      ...(httpEndpoint !== undefined ? { httpEndpoint } : {}),
      ...(certFile !== undefined && keyFile !== undefined ? { metricsTls: { certFile, keyFile } } : {}),
      ...(clusterId !== undefined ? { clusterId } : {}),
      ...(v.last('user-agent-extra') !== undefined ? { userAgentExtra: v.last('user-agent-extra') } : {}),
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
      ...(preStopTimeoutSeconds !== undefined ? { preStopTimeoutSeconds } : {}),
      ...(volumeAttachLimit !== undefined ? { volumeAttachLimit } : {}),
      ...(reservedVolumeAttachments !== undefined ? { reservedVolumeAttachments } : {}),
    },
  };
}
