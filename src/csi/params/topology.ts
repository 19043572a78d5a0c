// Where a new volume goes (zone, and Outpost when asked) from CreateVolume's
// accessibility_requirements, and the topology a volume reports back.
// Zone choice: the first preferred segment naming a zone of this region, else the first
// requisite one, else any zone of the region (picked by a hash of the volume name, so
// retries agree). Zones of other regions are skipped (a cluster's nodes may span more
// than the controller's region); a requirement naming no zone of this region at all, or a
// segment with none of the keys this driver reports, is INVALID_ARGUMENT saying what is.
import { createHash } from 'node:crypto';
import type { Disk, Zone } from '../../cloud/types.js';
import { CsiError, invalidArgument } from '../../errors.js';
import {
  LEGACY_ZONE_KEY, OS_KEY, OUTPOST_ACCOUNT_KEY, OUTPOST_ID_KEY, OUTPOST_PARTITION_KEY, OUTPOST_REGION_KEY, ZONE_ID_KEY, ZONE_KEY,
  placeSegments,
} from '../../topology.js';


type Segments = Readonly<Record<string, string>>;

export interface TopologyRequirementInput {
  readonly requisite?: readonly { readonly segments?: Segments }[];
  readonly preferred?: readonly { readonly segments?: Segments }[];
}

export interface Placement {
  readonly availabilityZone: string;
  readonly outpostArn?: string;
}

/** The region's zones, loaded at most once per request and only when needed. */
export type ZoneSource = () => Promise<readonly Zone[]>;

function onceOnly(source: ZoneSource): ZoneSource {
  let loaded: Promise<readonly Zone[]> | undefined;
  return () => (loaded ??= source());
}

const namesZone = (s: Segments): boolean => Boolean(s[ZONE_KEY] || s[LEGACY_ZONE_KEY] || s[ZONE_ID_KEY]);

/** Segments that name a zone, preferred first (CSI orders preferred by priority). */
function zoneSegments(requirement: TopologyRequirementInput | null | undefined): Segments[] {
  const all = [...(requirement?.preferred ?? []), ...(requirement?.requisite ?? [])];
  return all.map((t) => t.segments ?? {}).filter(namesZone);
}

/** The keys nodes of this driver report (NodeGetInfo) and CreateVolume reads. */
const KNOWN_KEYS: readonly string[] = [
  ZONE_KEY, LEGACY_ZONE_KEY, ZONE_ID_KEY, OS_KEY, OUTPOST_ID_KEY, OUTPOST_REGION_KEY, OUTPOST_PARTITION_KEY, OUTPOST_ACCOUNT_KEY,
];

/** A segment made only of keys this driver never reports cannot be met knowingly: refuse it. */
function checkKeys(requirement: TopologyRequirementInput | null | undefined): void {
  for (const field of ['requisite', 'preferred'] as const) {
    (requirement?.[field] ?? []).forEach((topology, i) => {
      const keys = Object.keys(topology.segments ?? {});
      if (keys.length > 0 && !keys.some((k) => KNOWN_KEYS.includes(k))) {
        throw invalidArgument(`accessibility_requirements.${field}[${i}] has none of the topology keys this driver understands `
          + `(${KNOWN_KEYS.join(', ')}); got ${keys.join(', ')}`);
      }
    });
  }
}

/**
 * Whether a zone name (or id) the region's list lacks may still be one of its own: Local and
 * Wavelength Zones (us-west-2-lax-1a, usw2-lax1-az1) are not in that list, and EC2 judges them.
 */
function extendsRegion(value: string, listed: readonly string[], prefixOf: (listedValue: string) => string): boolean {
  return listed.some((l) => value.startsWith(`${prefixOf(l)}-`));
}

/** The zone a segment names, when it is a zone of this region; undefined otherwise. */
async function zoneOf(segments: Segments, zones: ZoneSource): Promise<string | undefined> {
  const name = segments[ZONE_KEY] || segments[LEGACY_ZONE_KEY];
  const id = segments[ZONE_ID_KEY];
  let all: readonly Zone[];
  try {
    all = await zones();
  } catch (err) {
    // Without the region's list a named zone is left to EC2 to judge; a zone id cannot be mapped.
    if (name) return name;
    throw err;
  }
  if (name) {
    const names = all.map((z) => z.name);
    return names.includes(name) || extendsRegion(name, names, (n) => n.replace(/[a-z]+$/, '')) ? name : undefined;
  }
  return all.find((z) => z.zoneId === id)?.name;
}

async function unknownZones(segments: readonly Segments[], zones: ZoneSource): Promise<CsiError> {
  const all = await zones().catch(() => [] as readonly Zone[]);
  const listed = all.length > 0 ? `; this region's zones are ${all.map((z) => `${z.name} (${z.zoneId})`).join(', ')}` : '';
  return invalidArgument(`accessibility_requirements names no zone of this region (${describeRequirement(segments)})${listed}`);
}

function outpostArnOf(segments: Segments): string | undefined {
  const outpostId = segments[OUTPOST_ID_KEY];
  if (!outpostId) return undefined;
  const missing = [OUTPOST_REGION_KEY, OUTPOST_PARTITION_KEY, OUTPOST_ACCOUNT_KEY].filter((k) => !segments[k]);
  if (missing.length > 0) {
    throw invalidArgument(`accessibility_requirements: a segment with ${OUTPOST_ID_KEY} also needs ${missing.join(', ')}`);
  }
  return `arn:${segments[OUTPOST_PARTITION_KEY]}:outposts:${segments[OUTPOST_REGION_KEY]}:${segments[OUTPOST_ACCOUNT_KEY]}:outpost/${outpostId}`;
}

/** Every zone the requirement allows; undefined when it does not constrain the zone. */
export async function allowedZones(requirement: TopologyRequirementInput | null | undefined, zones: ZoneSource): Promise<ReadonlySet<string> | undefined> {
  const segments = zoneSegments(requirement);
  if (segments.length === 0) return undefined;
  const names = await Promise.all(segments.map((s) => zoneOf(s, zones)));
  return new Set(names.filter((n): n is string => n !== undefined));
}

function describeRequirement(segments: readonly Segments[]): string {
  return segments.map((s) => s[ZONE_KEY] || s[LEGACY_ZONE_KEY] || `${ZONE_ID_KEY}=${s[ZONE_ID_KEY]}`).join(', ');
}

function pickByName(zones: readonly Zone[], volumeName: string): string {
  const sorted = [...zones].map((z) => z.name).sort();
  const digest = createHash('sha256').update(volumeName).digest();
  return sorted[digest.readUInt32BE(0) % sorted.length] ?? '';
}

/**
 * Chooses the zone (and Outpost) of a new volume. `requiredZone` is set when the content
 * source pins the zone; a requirement that excludes it is RESOURCE_EXHAUSTED.
 */
export async function choosePlacement(
  requirement: TopologyRequirementInput | null | undefined, source: ZoneSource, volumeName: string, requiredZone?: string,
): Promise<Placement> {
  const zones = onceOnly(source);
  checkKeys(requirement);
  const segments = zoneSegments(requirement);
  if (requiredZone !== undefined) {
    // The source fixes the zone; the requirement is only checked against it, so a zone it
    // names that the region lacks is simply one that excludes the source's zone.
    const allowed = await allowedZones(requirement, zones);
    if (allowed && !allowed.has(requiredZone)) {
      throw new CsiError('RESOURCE_EXHAUSTED', `the volume source is in zone ${requiredZone}, which accessibility_requirements exclude (${describeRequirement(segments)})`);
    }
    return { availabilityZone: requiredZone };
  }
  for (const s of segments) {
    const zone = await zoneOf(s, zones);
    if (zone !== undefined) {
      const outpostArn = outpostArnOf(s);
      return outpostArn ? { availabilityZone: zone, outpostArn } : { availabilityZone: zone };
    }
  }
  if (segments.length > 0) throw await unknownZones(segments, zones);
  const all = await zones();
  if (all.length === 0) throw new CsiError('UNAVAILABLE', 'EC2 reported no availability zones to create the volume in');
  return { availabilityZone: pickByName(all, volumeName) };
}

/** The topology a volume is accessible from: its zone under both zone keys, plus its Outpost. */
export function accessibleTopology(disk: Pick<Disk, 'availabilityZone' | 'outpostArn'>): { segments: Record<string, string> }[] {
  return [{ segments: placeSegments(disk.availabilityZone, disk.outpostArn) }];
}
