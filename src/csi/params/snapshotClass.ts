// VolumeSnapshotClass parameters, as CreateSnapshot receives them. Keys are matched
// case-insensitively like StorageClass keys; anything unknown is refused so that a typo
// (say `lockDurration`) fails loudly instead of silently creating an unlocked snapshot.
import type { SnapshotLock } from '../../cloud/types.js';
import { invalidArgument } from '../../errors.js';
import { snapshotTemplateData, type TemplateData } from '../../template/index.js';
import { renderTagSpecifications, STRICT_TAGS, type TagPolicy } from './tagTemplate.js';
import { sortParameters, type ParameterKeys } from './sortParameters.js';

export interface SnapshotClassParameters {
  /** User tags from tagSpecification_N, templates already filled in. */
  readonly userTags: Readonly<Record<string, string>>;
  /** Zones to enable fast snapshot restore in (not yet checked against the region). */
  readonly fastRestoreZones: readonly string[];
  readonly outpostArn?: string;
  readonly lock?: SnapshotLock;
  /** The snapshot's names for templates (also those of --extra-tags). */
  readonly templateData: TemplateData;
}

// Added by external-snapshotter's --extra-create-metadata; they feed the tag templates.
export const SNAPSHOT_NAME_KEY = 'csi.storage.k8s.io/volumesnapshot/name';
export const SNAPSHOT_NAMESPACE_KEY = 'csi.storage.k8s.io/volumesnapshot/namespace';
export const SNAPSHOT_CONTENT_NAME_KEY = 'csi.storage.k8s.io/volumesnapshotcontent/name';

const KEYS = {
  fastsnapshotrestoreavailabilityzones: 'fastSnapshotRestoreAvailabilityZones',
  outpostarn: 'outpostArn',
  lockmode: 'lockMode',
  lockduration: 'lockDuration',
  lockexpirationdate: 'lockExpirationDate',
  lockcooloffperiod: 'lockCoolOffPeriod',
  [SNAPSHOT_NAME_KEY]: SNAPSHOT_NAME_KEY,
  [SNAPSHOT_NAMESPACE_KEY]: SNAPSHOT_NAMESPACE_KEY,
  [SNAPSHOT_CONTENT_NAME_KEY]: SNAPSHOT_CONTENT_NAME_KEY,
} as const;
type Known = (typeof KEYS)[keyof typeof KEYS];
const USER_KEYS = 'fastSnapshotRestoreAvailabilityZones, outpostArn, lockMode, lockDuration, lockExpirationDate, lockCoolOffPeriod';

const SNAPSHOT_CLASS_KEYS: ParameterKeys<Known, 'tagSpecs'> = {
  known: new Map(Object.entries(KEYS)),
  families: { tagSpecs: /^tagspecification_\d+$/ },
  unknownKey: (key) => `VolumeSnapshotClass parameter "${key}" is not supported; allowed: ${USER_KEYS}, tagSpecification_<n>`,
};
const MAX_LOCK_DAYS = 36_500;
const MAX_COOL_OFF_HOURS = 72;
const OUTPOST_ARN = /^arn:aws[a-z-]*:outposts:[a-z0-9-]+:\d{12}:outpost\/op-[0-9a-f]+$/;

export function parseSnapshotClassParameters(
  parameters: Readonly<Record<string, string>>, now = new Date(), tagPolicy: TagPolicy = STRICT_TAGS,
): SnapshotClassParameters {
  const { known, families: { tagSpecs } } = sortParameters(parameters, SNAPSHOT_CLASS_KEYS);
  const templateData = snapshotTemplateDataOf(known);
  const outpostArn = known.get('outpostArn')?.trim();
  if (outpostArn !== undefined && !OUTPOST_ARN.test(outpostArn)) {
    throw invalidArgument(`outpostArn "${outpostArn}" is not an outpost ARN (arn:aws:outposts:<region>:<account>:outpost/op-<hex>)`);
  }
  const lock = parseLock(known, now);
  return {
    userTags: renderTagSpecifications(tagSpecs, templateData, tagPolicy),
    templateData,
    fastRestoreZones: parseZoneList(known.get('fastSnapshotRestoreAvailabilityZones')),
    ...(outpostArn ? { outpostArn } : {}),
    ...(lock ? { lock } : {}),
  };
}

/** Without the snapshotter's --extra-create-metadata the names are empty, as in the reference. */
function snapshotTemplateDataOf(known: ReadonlyMap<Known, string>): TemplateData {
  return snapshotTemplateData({
    snapshotName: known.get(SNAPSHOT_NAME_KEY), snapshotNamespace: known.get(SNAPSHOT_NAMESPACE_KEY), contentName: known.get(SNAPSHOT_CONTENT_NAME_KEY),
  });
}

function parseZoneList(text: string | undefined): string[] {
  if (text === undefined) return [];
  const zones = [...new Set(text.split(',').map((z) => z.trim()).filter((z) => z.length > 0))];
  if (zones.length === 0) throw invalidArgument('fastSnapshotRestoreAvailabilityZones is empty; give a comma-separated list of zones such as "us-east-1a,us-east-1b"');
  return zones;
}

function wholeNumber(field: string, text: string, min: number, max: number, unit: string): number {
  const trimmed = text.trim();
  const n = /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw invalidArgument(`${field} must be a whole number of ${unit} from ${min} to ${max}; got "${text}"`);
  }
  return n;
}

function parseLock(known: ReadonlyMap<Known, string>, now: Date): SnapshotLock | undefined {
  const modeText = known.get('lockMode');
  const duration = known.get('lockDuration');
  const expiration = known.get('lockExpirationDate');
  const coolOff = known.get('lockCoolOffPeriod');
  if (modeText === undefined) {
    const stray = (['lockDuration', 'lockExpirationDate', 'lockCoolOffPeriod'] as const).filter((k) => known.has(k));
    if (stray.length > 0) throw invalidArgument(`${stray.join(', ')} given without lockMode; set lockMode to governance or compliance`);
    return undefined;
  }
  const mode = modeText.trim().toLowerCase();
  if (mode !== 'governance' && mode !== 'compliance') {
    throw invalidArgument(`lockMode must be governance or compliance; got "${modeText}"`);
  }
  if ((duration === undefined) === (expiration === undefined)) {
    throw invalidArgument('a snapshot lock needs exactly one of lockDuration (days) and lockExpirationDate (RFC 3339 date)');
  }
  let expirationDate: Date | undefined;
  if (expiration !== undefined) {
    // RFC 3339 requires a time zone; a bare date would be read in the driver's local zone.
    const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
    expirationDate = new Date(expiration.trim());
    if (!rfc3339.test(expiration.trim()) || Number.isNaN(expirationDate.getTime())) {
      throw invalidArgument(`lockExpirationDate must be an RFC 3339 date such as 2030-01-31T00:00:00Z; got "${expiration}"`);
    }
    if (expirationDate.getTime() <= now.getTime()) {
      throw invalidArgument(`lockExpirationDate ${expiration} is in the past; it must be a future date`);
    }
  }
  if (coolOff !== undefined && mode !== 'compliance') {
    throw invalidArgument('lockCoolOffPeriod applies to lockMode compliance only; remove it or set lockMode to compliance');
  }
  return {
    mode,
    ...(duration !== undefined ? { durationDays: wholeNumber('lockDuration', duration, 1, MAX_LOCK_DAYS, 'days') } : {}),
    ...(expirationDate ? { expirationDate } : {}),
    ...(coolOff !== undefined ? { coolOffHours: wholeNumber('lockCoolOffPeriod', coolOff, 1, MAX_COOL_OFF_HOURS, 'hours') } : {}),
  };
}
