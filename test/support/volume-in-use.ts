// EC2 refuses AttachVolume for a volume that is already attached (VolumeInUse); moto
// attaches it again under a second device name and leaves the first mapping on the
// instance for ever. A late AttachVolume (one that reached EC2 after its caller died or
// gave up) is harmless on EC2 and a phantom attachment on moto, so a fault test would count
// an attachment EC2 never leaves. This gate answers such a call as EC2 does.
//
// Temporary and separate on purpose, like client-token-cache.ts: drop it once the local
// data plane's proxy refuses these itself and the fault suite runs through it.
import { DescribeVolumesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { UpstreamAnswer } from './client-token-cache.js';

const inUse = (volumeId: string, instanceId: string): UpstreamAnswer => ({
  status: 400,
  contentType: 'text/xml',
  body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>VolumeInUse</Code><Message>${volumeId} is already attached to an instance (${instanceId})</Message></Error></Errors><RequestID>volume-in-use</RequestID></Response>`),
});

export class VolumeInUseGate {
  readonly #queues = new Map<string, Promise<unknown>>();
  #refused = 0;

  /** `ec2` talks to the emulator directly (no faults). */
  constructor(private readonly ec2: EC2Client) {}

  /** How many AttachVolume calls were refused. */
  get refused(): number {
    return this.#refused;
  }

  /** Forwards an AttachVolume only when the volume has no attachment; one call per volume at a time. */
  answer(form: URLSearchParams, forward: () => Promise<UpstreamAnswer>): Promise<UpstreamAnswer> {
    const volumeId = form.get('VolumeId');
    if (form.get('Action') !== 'AttachVolume' || !volumeId) return forward();
    const run = async (): Promise<UpstreamAnswer> => {
      const out = await this.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })).catch(() => undefined);
      const attached = out?.Volumes?.[0]?.Attachments?.find((a) => a.State !== 'detached');
      if (attached) {
        this.#refused++;
        return inUse(volumeId, attached.InstanceId ?? '');
      }
      return forward();
    };
    const previous = this.#queues.get(volumeId) ?? Promise.resolve();
    const result = previous.then(run, run);
    const tail = result.catch(() => undefined);
    this.#queues.set(volumeId, tail);
    void tail.then(() => { if (this.#queues.get(volumeId) === tail) this.#queues.delete(volumeId); });
    return result;
  }
}
