// The data plane's own view of the emulator (moto or LocalStack): what is attached to the
// local instance, how big a volume is, which volumes and snapshots still exist. It talks
// to the emulator directly, never through its own proxy.
import {
  DeleteVolumeCommand, DescribeInstancesCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client, type Filter, type Volume,
} from '@aws-sdk/client-ec2';

export interface VolumeFacts {
  readonly volumeId: string;
  readonly sizeGiB: number;
  readonly state: string;
  readonly availabilityZone: string;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  readonly multiAttachEnabled: boolean;
  /** Every attachment of the volume (instance, device name and state). */
  readonly attachments: readonly { readonly instanceId: string; readonly device: string; readonly state: string }[];
}

export interface InstanceFacts {
  readonly instanceId: string;
  readonly rootDeviceName: string;
  readonly availabilityZone: string;
  readonly networkInterfaces: number;
}

function toFacts(v: Volume): VolumeFacts | undefined {
  if (!v.VolumeId) return undefined;
  return {
    volumeId: v.VolumeId,
    sizeGiB: v.Size ?? 0,
    state: v.State ?? 'available',
    availabilityZone: v.AvailabilityZone ?? '',
    encrypted: v.Encrypted ?? false,
    ...(v.KmsKeyId ? { kmsKeyId: v.KmsKeyId } : {}),
    multiAttachEnabled: v.MultiAttachEnabled ?? false,
    attachments: (v.Attachments ?? []).map((a) => ({ instanceId: a.InstanceId ?? '', device: a.Device ?? '', state: a.State ?? '' })),
  };
}

export class EmulatorClient {
  readonly #ec2: EC2Client;

  constructor(endpoint: string, region: string) {
    this.#ec2 = new EC2Client({
      endpoint, region,
      // The emulator accepts any key; real ones must never be sent to a local endpoint.
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 3,
    });
  }

  async #volumes(filters: Filter[] | undefined, volumeIds?: string[]): Promise<VolumeFacts[]> {
    const out: VolumeFacts[] = [];
    let token: string | undefined;
    do {
      const page = await this.#ec2.send(new DescribeVolumesCommand({
        ...(filters ? { Filters: filters } : {}), ...(volumeIds ? { VolumeIds: volumeIds } : {}), ...(token ? { NextToken: token } : {}),
      }));
      for (const v of page.Volumes ?? []) {
        const facts = toFacts(v);
        if (facts) out.push(facts);
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  /** Volumes with an attachment (in any state) to the instance. */
  attachedTo(instanceId: string): Promise<VolumeFacts[]> {
    return this.#volumes([{ Name: 'attachment.instance-id', Values: [instanceId] }]);
  }

  async volume(volumeId: string): Promise<VolumeFacts | undefined> {
    try {
      return (await this.#volumes(undefined, [volumeId]))[0];
    } catch (err) {
      if ((err as { name?: string }).name === 'InvalidVolume.NotFound') return undefined;
      throw err;
    }
  }

  /** Removes a volume the emulator made for a call the data plane could not carry out. */
  async deleteVolume(volumeId: string): Promise<void> {
    await this.#ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
  }

  async allVolumeIds(): Promise<Set<string>> {
    return new Set((await this.#volumes(undefined)).map((v) => v.volumeId));
  }

  async allSnapshotIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.#ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], ...(token ? { NextToken: token } : {}) }));
      for (const s of page.Snapshots ?? []) if (s.SnapshotId) ids.add(s.SnapshotId);
      token = page.NextToken;
    } while (token);
    return ids;
  }

  async instance(instanceId: string): Promise<InstanceFacts | undefined> {
    const out = await this.#ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })).catch((err: unknown) => {
      if ((err as { name?: string }).name === 'InvalidInstanceID.NotFound') return undefined;
      throw err;
    });
    const found = out?.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
    if (!found) return undefined;
    return {
      instanceId,
      rootDeviceName: found.RootDeviceName ?? '',
      availabilityZone: found.Placement?.AvailabilityZone ?? '',
      networkInterfaces: Math.max(1, found.NetworkInterfaces?.length ?? 1),
    };
  }

  destroy(): void {
    this.#ec2.destroy();
  }
}
