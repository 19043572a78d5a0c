// Instances as an attach needs them, looked up at most once per `maxAgeMs` per instance. An
// attach needs the instance's zone, type and the device names it maps; the zone and type never
// change, and the names this driver assigns since the lookup are remembered by the device-name
// allocator for longer than a record is kept (DeviceNameAllocator's assigned-name memory). What a
// record can miss is a name someone else attached meanwhile: EC2 then refuses the name, and the
// attach forgets the record and tries another name with a fresh one. Without this, every publish
// cost a DescribeInstances: publishes to a node arrive spread out (and, under EC2's request
// buckets, paced), so few of them share one coalesced call (npm run bench: 0.77 per lifecycle
// at N = 300 against the reference's 0.03).
import type { Instance } from '../types.js';

/** Under the device-name allocator's 60 s memory of the names it assigned (see above). */
export const INSTANCE_RECORD_MAX_AGE_MS = 45_000;

interface Record {
  readonly instance: Instance;
  /** When the lookup that found it was asked: the record shows EC2 no older than this. */
  readonly askedAt: number;
}

export class RecentInstances {
  private readonly records = new Map<string, Record>();
  private sweptAt: number;

  constructor(
    private readonly lookup: (instanceId: string) => Promise<Instance | undefined>,
    private readonly maxAgeMs = INSTANCE_RECORD_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.sweptAt = now();
  }

  /** The instance as EC2 showed it at most `maxAgeMs` ago; undefined when not remembered. */
  remembered(instanceId: string): Instance | undefined {
    const record = this.records.get(instanceId);
    return record && this.isFresh(record) ? record.instance : undefined;
  }

  /** The instance as EC2 shows it now (remembered from here on); undefined when EC2 does not know it. */
  async refresh(instanceId: string): Promise<Instance | undefined> {
    const askedAt = this.now();
    const instance = await this.lookup(instanceId);
    // Only what EC2 knows is kept: an unknown id is asked again next time.
    if (instance) this.records.set(instanceId, { instance, askedAt });
    else this.records.delete(instanceId);
    this.sweep();
    return instance;
  }

  /** Drops what is remembered of the instance: the next attach asks EC2. */
  forget(instanceId: string): void {
    this.records.delete(instanceId);
  }

  private isFresh(record: Record): boolean {
    return this.now() - record.askedAt < this.maxAgeMs;
  }

  /** Drops expired records of nodes that are no longer attached to, at most once per max age. */
  private sweep(): void {
    if (this.now() - this.sweptAt < this.maxAgeMs) return;
    this.sweptAt = this.now();
    for (const [id, record] of this.records) if (!this.isFresh(record)) this.records.delete(id);
  }
}
