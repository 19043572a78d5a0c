// Volume capabilities EBS can serve. An EBS volume attaches to one node, so every
// single-node access mode works; MULTI_NODE_MULTI_WRITER works only as a raw block device
// on a volume created with Multi-Attach (io2). Filesystems are those the node can format.
import { invalidArgument } from '../../errors.js';
import { _csi_v1_VolumeCapability_AccessMode_Mode as AccessModes } from '../../generated/csi/v1/VolumeCapability.js';
import { FS_TYPES, isFsType } from '../../filesystems.js';

export type AccessModeName = keyof typeof AccessModes;

export const SINGLE_NODE_MODES: readonly AccessModeName[] = [
  'SINGLE_NODE_WRITER', 'SINGLE_NODE_READER_ONLY', 'SINGLE_NODE_SINGLE_WRITER', 'SINGLE_NODE_MULTI_WRITER',
];
export const MULTI_ATTACH_MODE: AccessModeName = 'MULTI_NODE_MULTI_WRITER';

/** The shape shared by request and response capabilities (generated input and output types). */
export interface CapabilityInput {
  readonly accessType?: 'block' | 'mount';
  readonly block?: object | null;
  readonly mount?: { readonly fsType?: string } | null;
  readonly accessMode?: { readonly mode?: string | number } | null;
}

export interface CapabilitySummary {
  /** Some capability asks for a raw block device. */
  readonly block: boolean;
  /** Some capability asks for a mounted filesystem. */
  readonly mount: boolean;
  /** Filesystems named by mount capabilities (lower case, empty ones left out). */
  readonly fsTypes: readonly string[];
  /** Some capability needs the volume attached to several nodes at once. */
  readonly multiAttach: boolean;
}

const MODE_NAMES = Object.keys(AccessModes) as AccessModeName[];

export function accessModeOf(cap: CapabilityInput): AccessModeName | undefined {
  const mode = cap.accessMode?.mode;
  const name = typeof mode === 'number' ? MODE_NAMES[mode] : mode;
  return name !== undefined && (MODE_NAMES as string[]).includes(name) && name !== 'UNKNOWN' ? name as AccessModeName : undefined;
}

export function accessTypeOf(cap: CapabilityInput): 'block' | 'mount' | undefined {
  if (cap.accessType) return cap.accessType;
  if (cap.block) return 'block';
  if (cap.mount) return 'mount';
  return undefined;
}

/** A capability the request got wrong (always INVALID_ARGUMENT), or undefined. */
export function malformedCapability(cap: CapabilityInput, field: string): string | undefined {
  if (accessModeOf(cap) === undefined) {
    return `${field}.access_mode is missing or unknown; use one of ${MODE_NAMES.filter((m) => m !== 'UNKNOWN').join(', ')}`;
  }
  if (accessTypeOf(cap) === undefined) return `${field} needs an access type: mount or block`;
  return undefined;
}

/**
 * Why EBS cannot serve a well-formed capability, or undefined when it can. With `volume`,
 * also whether that volume can (Multi-Attach is fixed at creation).
 */
export function unsupportedCapability(cap: CapabilityInput, field: string, volume?: { readonly multiAttachEnabled: boolean }): string | undefined {
  const mode = accessModeOf(cap);
  const type = accessTypeOf(cap);
  if (mode === MULTI_ATTACH_MODE) {
    if (type !== 'block') return `${field}: access mode ${mode} is offered only for raw block volumes (EBS Multi-Attach)`;
    if (volume && !volume.multiAttachEnabled) return `${field}: access mode ${mode} needs a volume created with Multi-Attach`;
  } else if (mode !== undefined && !SINGLE_NODE_MODES.includes(mode)) {
    return `${field}: access mode ${mode} is not supported; use ${[...SINGLE_NODE_MODES, MULTI_ATTACH_MODE].join(', ')} (the last for block only)`;
  }
  const fsType = type === 'mount' ? cap.mount?.fsType?.toLowerCase() ?? '' : '';
  if (fsType !== '' && !isFsType(fsType)) return `${field}.mount.fs_type "${fsType}" is not supported; use one of ${FS_TYPES.join(', ')}`;
  return undefined;
}

/**
 * Checks CreateVolume's or ControllerPublishVolume's capabilities: required, well-formed,
 * and supported; anything else is INVALID_ARGUMENT naming the field.
 */
export function checkVolumeCapabilities(caps: readonly CapabilityInput[] | null | undefined, field: string): CapabilitySummary {
  if (!caps || caps.length === 0) throw invalidArgument(`${field} is required`);
  caps.forEach((cap, i) => {
    const name = caps.length === 1 && !field.endsWith('s') ? field : `${field}[${i}]`;
    const problem = malformedCapability(cap, name) ?? unsupportedCapability(cap, name);
    if (problem) throw invalidArgument(problem);
  });
  const fsTypes = caps.filter((c) => accessTypeOf(c) === 'mount')
    .map((c) => c.mount?.fsType?.toLowerCase() ?? '').filter((f) => f !== '');
  return {
    block: caps.some((c) => accessTypeOf(c) === 'block'),
    mount: caps.some((c) => accessTypeOf(c) === 'mount'),
    fsTypes: [...new Set(fsTypes)],
    multiAttach: caps.some((c) => accessModeOf(c) === MULTI_ATTACH_MODE),
  };
}
