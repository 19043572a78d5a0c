// Which EC2 actions the credentials may not call, found with DryRun requests. EC2 answers a
// permitted DryRun with DryRunOperation and a forbidden one with UnauthorizedOperation; any
// other answer cannot tell and counts as granted (a false alarm would be worse than none).
// Every probe is harmless even if DryRun were ignored: ids are well-formed but nonexistent,
// and reads filter on such an id, so they match nothing. (A cap like MaxResults is not
// enough: moto ignores both DryRun and MaxResults on DescribeSnapshots and listed every
// snapshot of its images, 0.5 MB, holding the emulator for tens of seconds at each start.) The exception is CreateVolume, which needs real
// parameters; it was checked against the emulator used in tests (which honours DryRun for
// it) and real EC2 always does. Emulators return data for some Describe* DryRuns: granted.
//
// Least-privilege policies (docs/iam-policy.json, like the reference driver's) allow the
// create calls only with the driver's request tags, and the delete/tag calls only on
// resources carrying its tags (fast snapshot restore and snapshot lock as well: they act
// on the driver's snapshots). So the create probes send the same tags as the real calls,
// and a refusal of a probe against a resource that does not exist proves nothing: those
// actions are reported as unverifiable, never as missing (a false "missing" would make
// Probe not-ready and have the liveness probe restart a healthy controller). CopyVolumes
// is allowed only from a source carrying the driver's tag: its probe copies one of the
// driver's own volumes when there is one (then a refusal is a verdict), else a
// nonexistent one (then it is unverifiable like the others).
import {
  AttachVolumeCommand, CopyVolumesCommand, CreateSnapshotCommand, CreateTagsCommand, CreateVolumeCommand, DeleteSnapshotCommand, DeleteTagsCommand,
  DeleteVolumeCommand, DescribeAvailabilityZonesCommand, DescribeInstancesCommand, DescribeInstanceTypesCommand, DescribeSnapshotsCommand,
  DescribeVolumeStatusCommand, DescribeVolumesCommand, DescribeVolumesModificationsCommand, DetachVolumeCommand,
  EnableFastSnapshotRestoresCommand, LockSnapshotCommand, ModifyVolumeCommand,
} from '@aws-sdk/client-ec2';
import type { Logger } from '../../logger.js';
import { TAG_DRIVER_MANAGED, TAG_SNAPSHOT_NAME, TAG_VOLUME_NAME } from '../../tags.js';
import { isCloudError } from '../errors.js';
import type { Ec2Caller } from './caller.js';

const NO_VOLUME = 'vol-00000000000000000';
const NO_INSTANCE = 'i-00000000000000000';
const NO_SNAPSHOT = 'snap-00000000000000000';
const PROBE_TAG = 'ebs.csi.aws.com/permission-probe';
const PROBE_NAME = 'permission-probe';

/** Actions that least-privilege policies condition on the tags of an existing resource. */
const RESOURCE_CONDITIONED = new Set([
  'DeleteVolume', 'DeleteSnapshot', 'CreateTags', 'DeleteTags', 'EnableFastSnapshotRestores', 'LockSnapshot',
]);

/** A filter that matches nothing: the probe reads nothing even where DryRun is ignored. */
const nothing = (name: string, id: string) => [{ Name: name, Values: [id] }];

const requestTags = (resource: 'volume' | 'snapshot', nameTag: string) => [{
  ResourceType: resource,
  Tags: [{ Key: TAG_DRIVER_MANAGED, Value: 'true' }, { Key: nameTag, Value: PROBE_NAME }],
}];

export type ProbeVerdict = 'granted' | 'missing' | 'unknown';

/** Classifies the answer to a DryRun request. */
export function verdictOf(err: unknown): ProbeVerdict {
  if (err === undefined) return 'granted';
  if (isCloudError(err) && err.awsCode === 'DryRunOperation') return 'granted';
  if (isCloudError(err) && err.awsCode === 'UnauthorizedOperation') return 'missing';
  return 'unknown';
}

type Probe = (ec2: Ec2Caller) => Promise<unknown>;

/** What the probes may aim at: a zone of the region, and one of the driver's volumes. */
export interface ProbeTargets {
  readonly zone?: string;
  readonly driverVolumeId?: string;
}

function probesFor({ zone, driverVolumeId }: ProbeTargets): Readonly<Record<string, Probe>> {
  const DryRun = true;
  const probes: Record<string, Probe> = {
    CopyVolumes: (ec2) => ec2.send(new CopyVolumesCommand({
      DryRun, SourceVolumeId: driverVolumeId ?? NO_VOLUME, VolumeType: 'gp3', TagSpecifications: requestTags('volume', TAG_VOLUME_NAME),
    })),
    DescribeVolumes: (ec2) => ec2.send(new DescribeVolumesCommand({ DryRun, Filters: nothing('volume-id', NO_VOLUME) })),
    DescribeInstances: (ec2) => ec2.send(new DescribeInstancesCommand({ DryRun, Filters: nothing('instance-id', NO_INSTANCE) })),
    // One named type: an emulator that ignores DryRun and MaxResults would list every type (megabytes).
    DescribeInstanceTypes: (ec2) => ec2.send(new DescribeInstanceTypesCommand({ DryRun, InstanceTypes: ['m5.large'] })),
    DescribeAvailabilityZones: (ec2) => ec2.send(new DescribeAvailabilityZonesCommand({ DryRun })),
    DescribeSnapshots: (ec2) => ec2.send(new DescribeSnapshotsCommand({ DryRun, OwnerIds: ['self'], Filters: nothing('snapshot-id', NO_SNAPSHOT) })),
    DescribeVolumesModifications: (ec2) => ec2.send(new DescribeVolumesModificationsCommand({ DryRun, Filters: nothing('volume-id', NO_VOLUME) })),
    DescribeVolumeStatus: (ec2) => ec2.send(new DescribeVolumeStatusCommand({ DryRun, Filters: nothing('volume-id', NO_VOLUME) })),
    DeleteVolume: (ec2) => ec2.send(new DeleteVolumeCommand({ DryRun, VolumeId: NO_VOLUME })),
    AttachVolume: (ec2) => ec2.send(new AttachVolumeCommand({ DryRun, VolumeId: NO_VOLUME, InstanceId: NO_INSTANCE, Device: '/dev/xvdba' })),
    DetachVolume: (ec2) => ec2.send(new DetachVolumeCommand({ DryRun, VolumeId: NO_VOLUME, InstanceId: NO_INSTANCE })),
    ModifyVolume: (ec2) => ec2.send(new ModifyVolumeCommand({ DryRun, VolumeId: NO_VOLUME, Size: 2 })),
    CreateSnapshot: (ec2) => ec2.send(new CreateSnapshotCommand({ DryRun, VolumeId: NO_VOLUME, TagSpecifications: requestTags('snapshot', TAG_SNAPSHOT_NAME) })),
    DeleteSnapshot: (ec2) => ec2.send(new DeleteSnapshotCommand({ DryRun, SnapshotId: NO_SNAPSHOT })),
    LockSnapshot: (ec2) => ec2.send(new LockSnapshotCommand({ DryRun, SnapshotId: NO_SNAPSHOT, LockMode: 'governance', LockDuration: 1 })),
    CreateTags: (ec2) => ec2.send(new CreateTagsCommand({ DryRun, Resources: [NO_VOLUME], Tags: [{ Key: PROBE_TAG, Value: 'true' }] })),
    DeleteTags: (ec2) => ec2.send(new DeleteTagsCommand({ DryRun, Resources: [NO_VOLUME], Tags: [{ Key: PROBE_TAG }] })),
  };
  // Without a zone there is no harmless CreateVolume (or fast restore) request to make: skip rather than guess.
  if (zone !== undefined) {
    probes.CreateVolume = (ec2) => ec2.send(new CreateVolumeCommand({
      DryRun, AvailabilityZone: zone, Size: 1, VolumeType: 'gp3', TagSpecifications: requestTags('volume', TAG_VOLUME_NAME),
    }));
    probes.EnableFastSnapshotRestores = (ec2) => ec2.send(new EnableFastSnapshotRestoresCommand({
      DryRun, SourceSnapshotIds: [NO_SNAPSHOT], AvailabilityZones: [zone],
    }));
  }
  return probes;
}

/**
 * The actions the driver needs that the credentials may not call, sorted. Throws when no
 * probe got a verdict at all (no region, bad credentials, EC2 unreachable): that is no pass.
 */
export async function findMissingPermissions(ec2: Ec2Caller, targets: ProbeTargets, log: Logger): Promise<string[]> {
  const results = await Promise.all(Object.entries(probesFor(targets)).map(async ([action, probe]) => {
    let verdict: ProbeVerdict;
    let error: unknown;
    try {
      await probe(ec2);
      verdict = 'granted';
    } catch (err) {
      verdict = verdictOf(err);
      error = err;
      if (verdict === 'unknown') log.debug({ action, err: err instanceof Error ? err.message : String(err) }, 'permission probe was inconclusive');
    }
    return { action, verdict, error };
  }));
  if (results.every((r) => r.verdict === 'unknown')) {
    const first = results[0]?.error;
    throw new Error(`no EC2 permission probe got an answer (${results[0]?.action ?? 'none'}: ${first instanceof Error ? first.message : String(first)})`);
  }
  const refused = results.filter((r) => r.verdict === 'missing').map((r) => r.action).sort();
  const conditioned = (action: string): boolean =>
    RESOURCE_CONDITIONED.has(action) || (action === 'CopyVolumes' && targets.driverVolumeId === undefined);
  const unverifiable = refused.filter(conditioned);
  if (unverifiable.length > 0) {
    log.info({ actions: unverifiable }, 'DryRun was refused for these actions on a nonexistent resource; a tag-conditioned IAM policy refuses that too, so they are not reported as missing');
  }
  return refused.filter((a) => !conditioned(a));
}

/** One of the driver's volumes, for the CopyVolumes probe; undefined when there is none or the lookup fails. */
export async function findDriverVolume(ec2: Ec2Caller): Promise<string | undefined> {
  try {
    const out = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: `tag:${TAG_DRIVER_MANAGED}`, Values: ['true'] }], MaxResults: 5 }),
      { subject: 'a volume of the driver for the permission check' });
    return out.Volumes?.find((v) => v.VolumeId && v.State !== 'deleting' && v.State !== 'deleted')?.VolumeId;
  } catch {
    return undefined;
  }
}
