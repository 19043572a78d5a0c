// StorageClass parameters (CreateVolumeRequest.parameters) → typed, validated settings.
// Keys match case-insensitively, as in the reference driver; an unknown key is refused
// rather than ignored, so a typo never silently provisions the wrong volume.
import { VOLUME_TYPES } from '../../cloud/types.js';
import { invalidArgument } from '../../errors.js';
import {
  FORMAT_OPTION_NAMES, FS_TYPES, formatValueProblem, isFsType, type FormatOptions, type FsType, type ValuedFormatOption,
} from '../../filesystems.js';
import { keysByLowerCase, sortParameters, type ParameterKeys } from './sortParameters.js';
import { volumeTemplateData } from '../../template/index.js';
import { renderTagSpecifications, STRICT_TAGS, type TagPolicy } from './tagTemplate.js';
import {
  DEFAULT_VOLUME_TYPE, IOPS_TYPES, THROUGHPUT_TYPES, limitsOf, volumeTypeName,
} from './volumeTypes.js';

export interface StorageClassParams {
  /** A known type, or a newer one passed to EC2 unchecked (volumeTypes.ts). */
  readonly volumeType: string;
  readonly iops?: number;
  readonly iopsPerGB?: number;
  readonly allowAutoIopsPerGBIncrease: boolean;
  /**
   * Whether expansions may raise IOPS to keep iopsPerGB (recorded in a tag, as the reference
   * does); undefined when the StorageClass does not say.
   */
  readonly allowAutoIopsIncreaseOnModify?: boolean;
  readonly throughput?: number;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  /** MiB/s at which a volume restored from a snapshot is initialized. */
  readonly volumeInitializationRate?: number;
  readonly blockAttachUntilInitialized: boolean;
  /** Only when the StorageClass names one; the capability's fsType or ext4 apply otherwise. */
  readonly fsType?: FsType;
  readonly formatOptions: FormatOptions;
  /** tagSpecification_N tags, templates filled in, reserved keys refused. */
  readonly userTags: Readonly<Record<string, string>>;
  readonly pvcName?: string;
  readonly pvcNamespace?: string;
  readonly pvName?: string;
}

export const PVC_NAME_KEY = 'csi.storage.k8s.io/pvc/name';
export const PVC_NAMESPACE_KEY = 'csi.storage.k8s.io/pvc/namespace';
export const PV_NAME_KEY = 'csi.storage.k8s.io/pv/name';
export const FS_TYPE_KEY = 'csi.storage.k8s.io/fstype';

/** Canonical spelling of every key, as documentation and error messages show it. */
export const STORAGE_CLASS_KEYS = [
  'type', 'iops', 'iopsPerGB', 'allowAutoIOPSPerGBIncrease', 'allowAutoIOPSIncreaseOnModify', 'throughput',
  'encrypted', 'kmsKeyId', 'volumeInitializationRate', 'blockAttachUntilInitialized', FS_TYPE_KEY,
  ...FORMAT_OPTION_NAMES, PVC_NAME_KEY, PVC_NAMESPACE_KEY, PV_NAME_KEY,
] as const;
type Key = (typeof STORAGE_CLASS_KEYS)[number];

/** Keys the reference driver still accepts from older manifests, and what they stand for. */
const DEPRECATED_ALIASES: ReadonlyMap<string, Key | null> = new Map<string, Key | null>([
  ['fstype', FS_TYPE_KEY],
  // io2 volumes are all Block Express now; the flag no longer changes anything.
  ['blockexpress', null],
]);

const TAG_SPEC_KEY = /^tagspecification_\d+$/i;
const WHOLE_NUMBER = /^\d+$/;

const STORAGE_CLASS_PARAMETER_KEYS: ParameterKeys<Key, 'tagSpecs'> = {
  known: new Map([...keysByLowerCase(STORAGE_CLASS_KEYS), ...DEPRECATED_ALIASES]),
  families: { tagSpecs: TAG_SPEC_KEY },
  unknownKey: (key) => `unknown parameter "${key}"; allowed keys (case-insensitive): ${allowedKeysText()}`,
};

const allowedKeysText = (): string => `${STORAGE_CLASS_KEYS.join(', ')}, tagSpecification_<N>`;

type Raw = Partial<Record<Key, string>>;

/** Sorts parameters into known keys and tag specifications; refuses unknown and repeated keys. */
function collect(parameters: Readonly<Record<string, string>>): { raw: Raw; tagSpecs: [string, string][] } {
  const sorted = sortParameters(parameters, STORAGE_CLASS_PARAMETER_KEYS);
  const raw: Raw = Object.fromEntries(sorted.known);
  return { raw, tagSpecs: sorted.families.tagSpecs };
}

function booleanOf(raw: Raw, key: Key): boolean | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  const lower = value.trim().toLowerCase();
  if (lower !== 'true' && lower !== 'false') throw invalidArgument(`parameters.${key} must be "true" or "false"; got "${value}"`);
  return lower === 'true';
}

function positiveIntOf(raw: Raw, key: Key, unit: string): number | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const n = Number(trimmed);
  if (!WHOLE_NUMBER.test(trimmed) || n < 1 || !Number.isSafeInteger(n)) {
    throw invalidArgument(`parameters.${key} must be a positive whole number of ${unit}; got "${value}"`);
  }
  return n;
}

function formatValueOf(raw: Raw, key: ValuedFormatOption): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  const problem = formatValueProblem(key, value);
  if (problem) throw invalidArgument(`parameters.${key} ${problem}; got "${value}"`);
  return value;
}

function volumeTypeOf(raw: Raw): string {
  const value = raw.type;
  if (value === undefined) return DEFAULT_VOLUME_TYPE;
  // A name the table does not know goes to EC2, whose answer decides (a type added since).
  const type = volumeTypeName(value);
  if (type === undefined) throw invalidArgument(`parameters.type "${value}" is not an EBS volume type; use one of ${VOLUME_TYPES.join(', ')}`);
  return type;
}

function fsTypeOf(raw: Raw): FsType | undefined {
  const value = raw[FS_TYPE_KEY];
  if (value === undefined || value === '') return undefined;
  const lower = value.toLowerCase();
  if (!isFsType(lower)) throw invalidArgument(`parameters.${FS_TYPE_KEY} "${value}" is not supported; use one of ${FS_TYPES.join(', ')}`);
  return lower;
}

/** Checks what depends on the type alone; size-dependent limits are in performance.ts. */
function checkPerformance(type: string, iops: number | undefined, iopsPerGB: number | undefined, throughput: number | undefined, allowIncrease: boolean): void {
  if (iops !== undefined && iopsPerGB !== undefined) {
    throw invalidArgument('parameters.iops and parameters.iopsPerGB exclude each other; give one of them');
  }
  const limits = limitsOf(type);
  if (!limits) return; // a type the table does not know: EC2 checks its own limits
  if ((iops !== undefined || iopsPerGB !== undefined) && !limits.iops) {
    const which = iops !== undefined ? 'iops' : 'iopsPerGB';
    throw invalidArgument(`parameters.${which} cannot be set for type ${type}; only ${IOPS_TYPES.join(', ')} accept it`);
  }
  if (limits.iops && iops !== undefined) {
    const { min, max } = limits.iops;
    if (iops > max || (iops < min && !allowIncrease)) {
      throw invalidArgument(`parameters.iops ${iops} is outside what type ${type} allows (${min}–${max})`);
    }
  }
  if (limits.iopsRequired && iops === undefined && iopsPerGB === undefined) {
    throw invalidArgument(`type ${type} needs parameters.iops or parameters.iopsPerGB`);
  }
  if (throughput !== undefined) {
    if (!limits.throughput) throw invalidArgument(`parameters.throughput cannot be set for type ${type}; only ${THROUGHPUT_TYPES.join(', ')} accept it`);
    const { min, max } = limits.throughput;
    if (throughput < min || throughput > max) {
      throw invalidArgument(`parameters.throughput ${throughput} MiB/s is outside what type ${type} allows (${min}–${max} MiB/s)`);
    }
  }
}

const INIT_RATE = { min: 100, max: 300 };

/** Keys a VolumeAttributesClass may set (CreateVolumeRequest.mutable_parameters). */
export const MUTABLE_KEYS = ['type', 'iops', 'iopsPerGB', 'throughput', 'allowAutoIOPSIncreaseOnModify'] as const satisfies readonly Key[];
const TAG_DELETION_KEY = /^tagdeletion_\d+$/i;
const MUTABLE_PARAMETER_KEYS: ParameterKeys<Key, 'tagSpecs' | 'tagDeletions' | 'volumeType'> = {
  known: keysByLowerCase(MUTABLE_KEYS),
  // The reference's older VolumeAttributesClass key for type; type wins when both are given.
  families: { tagSpecs: TAG_SPEC_KEY, tagDeletions: TAG_DELETION_KEY, volumeType: /^volumetype$/ },
  unknownKey: (key) => `unknown mutable parameter "${key}"; allowed keys (case-insensitive): ${MUTABLE_KEYS.join(', ')}, tagSpecification_<N>, tagDeletion_<N>`,
};

/**
 * Lays mutable_parameters over the StorageClass values: the CSI spec gives them precedence.
 * iops and iopsPerGB replace each other; tag deletions mean nothing on a new volume.
 */
function overlayMutable(raw: Raw, mutable: Readonly<Record<string, string>>): [string, string][] {
  const sorted = sortParameters(mutable, MUTABLE_PARAMETER_KEYS);
  for (const [canonical, value] of sorted.known) {
    raw[canonical] = value;
    if (canonical === 'iops') delete raw.iopsPerGB;
    if (canonical === 'iopsPerGB') delete raw.iops;
  }
  const alias = sorted.families.volumeType[0];
  if (alias && !sorted.known.has('type')) raw.type = alias[1];
  return sorted.families.tagSpecs;
}

/**
 * Parses StorageClass parameters, with the VolumeAttributesClass's mutable_parameters
 * (when given) taking precedence over them.
 */
export function parseStorageClass(
  parameters: Readonly<Record<string, string>> | null | undefined,
  mutableParameters?: Readonly<Record<string, string>> | null,
  tagPolicy: TagPolicy = STRICT_TAGS,
): StorageClassParams {
  const { raw, tagSpecs } = collect(parameters ?? {});
  const mutableTagSpecs = overlayMutable(raw, mutableParameters ?? {});
  const volumeType = volumeTypeOf(raw);
  const iops = positiveIntOf(raw, 'iops', 'IOPS');
  const iopsPerGB = positiveIntOf(raw, 'iopsPerGB', 'IOPS per GiB');
  const throughput = positiveIntOf(raw, 'throughput', 'MiB/s');
  const allowAutoIopsPerGBIncrease = booleanOf(raw, 'allowAutoIOPSPerGBIncrease') ?? false;
  checkPerformance(volumeType, iops, iopsPerGB, throughput, allowAutoIopsPerGBIncrease);

  const kmsKeyId = raw.kmsKeyId?.trim() || undefined;
  const encryptedFlag = booleanOf(raw, 'encrypted');
  if (encryptedFlag === false && kmsKeyId) {
    throw invalidArgument('parameters.kmsKeyId asks for encryption but parameters.encrypted is "false"');
  }
  const volumeInitializationRate = positiveIntOf(raw, 'volumeInitializationRate', 'MiB/s');
  if (volumeInitializationRate !== undefined && (volumeInitializationRate < INIT_RATE.min || volumeInitializationRate > INIT_RATE.max)) {
    throw invalidArgument(`parameters.volumeInitializationRate ${volumeInitializationRate} MiB/s is outside ${INIT_RATE.min}–${INIT_RATE.max} MiB/s`);
  }

  const formatOptions: FormatOptions = {
    ...optional('blockSize', formatValueOf(raw, 'blockSize')),
    ...optional('inodeSize', formatValueOf(raw, 'inodeSize')),
    ...optional('bytesPerInode', formatValueOf(raw, 'bytesPerInode')),
    ...optional('numberOfInodes', formatValueOf(raw, 'numberOfInodes')),
    ...optional('ext4BigAlloc', booleanOf(raw, 'ext4BigAlloc')),
    ...optional('ext4ClusterSize', formatValueOf(raw, 'ext4ClusterSize')),
    ...optional('ext4EncryptionSupport', booleanOf(raw, 'ext4EncryptionSupport')),
  };

  const pvcName = raw[PVC_NAME_KEY];
  const pvcNamespace = raw[PVC_NAMESPACE_KEY];
  const pvName = raw[PV_NAME_KEY];
  // Without the provisioner's --extra-create-metadata these are empty, as in the reference.
  const data = volumeTemplateData({ pvcName, pvcNamespace, pvName });
  // A VolumeAttributesClass's tags come after the StorageClass's and win, as in the reference.
  const userTags = {
    ...renderTagSpecifications(tagSpecs, data, tagPolicy, 'parameters'),
    ...renderTagSpecifications(mutableTagSpecs, data, tagPolicy, 'mutable_parameters'),
  };

  return {
    volumeType,
    ...optional('iops', iops),
    ...optional('iopsPerGB', iopsPerGB),
    allowAutoIopsPerGBIncrease,
    ...optional('allowAutoIopsIncreaseOnModify', booleanOf(raw, 'allowAutoIOPSIncreaseOnModify')),
    ...optional('throughput', throughput),
    encrypted: encryptedFlag === true || kmsKeyId !== undefined,
    ...optional('kmsKeyId', kmsKeyId),
    ...optional('volumeInitializationRate', volumeInitializationRate),
    blockAttachUntilInitialized: booleanOf(raw, 'blockAttachUntilInitialized') ?? false,
    ...optional('fsType', fsTypeOf(raw)),
    formatOptions,
    userTags,
    ...optional('pvcName', pvcName),
    ...optional('pvcNamespace', pvcNamespace),
    ...optional('pvName', pvName),
  };
}

/** `{ [key]: value }` when the value is defined, else `{}` (exactOptionalPropertyTypes-friendly spreads). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
