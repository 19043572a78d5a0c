// Attach device names. EC2 wants a free name per attachment; names are tried in a fixed
// order (the same as the reference driver, so mixed clusters agree), skipping names the
// instance already maps, names held by attaches still in flight here, and names this driver
// assigned moments ago (a Describe started before that attach may not show them yet).
// A name EC2 just refused as "in use" goes to the back of the line for a while.
import { CloudError } from '../errors.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function buildDeviceNames(): readonly string[] {
  const names: string[] = [];
  for (const first of 'ab') for (const second of LETTERS) names.push(`/dev/xvd${first}${second}`);
  for (const second of LETTERS.slice(0, LETTERS.indexOf('x') + 1)) names.push(`/dev/xvdd${second}`);
  for (const letter of LETTERS.slice(1)) names.push(`/dev/xvd${letter}`);
  for (const letter of LETTERS.slice(1)) names.push(`/dev/sd${letter}`);
  return Object.freeze(names);
}

/** /dev/xvdaa–/dev/xvdbz, /dev/xvdda–/dev/xvddx, /dev/xvdb–/dev/xvdz, /dev/sdb–/dev/sdz, in that order. */
export const DEVICE_NAMES = buildDeviceNames();

/** Mappings may name a device with or without "/dev/"; compare them without it. */
export const deviceKey = (name: string): string => (name.startsWith('/dev/') ? name.slice('/dev/'.length) : name);

export interface DeviceReservation {
  readonly instanceId: string;
  readonly name: string;
  /** Frees the name; `assigned` keeps it off-limits for a while because EC2 now uses it. */
  release(outcome: 'assigned' | 'unused'): void;
}

export interface AllocatorOptions {
  /** How long a refused name stays at the back of the line. */
  readonly failedNameMemoryMs: number;
  /** How long an assigned name is skipped even when a Describe does not show it. */
  readonly assignedNameMemoryMs: number;
  readonly now: () => number;
}

const DEFAULT_OPTIONS: AllocatorOptions = { failedNameMemoryMs: 10 * 60_000, assignedNameMemoryMs: 60_000, now: Date.now };

export class DeviceNameAllocator {
  private readonly inFlight = new Map<string, Set<string>>();
  private readonly recentlyAssigned = new Map<string, Map<string, number>>();
  private readonly recentlyFailed = new Map<string, Map<string, number>>();
  private readonly options: AllocatorOptions;

  constructor(options: Partial<AllocatorOptions> = {}) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
  }

  /**
   * Reserves the first free name for an attach to `instanceId`. `inUse` are the names in the
   * instance's block-device mappings. Throws AttachmentLimitExceeded when none is left.
   */
  reserve(instanceId: string, inUse: Iterable<string>): DeviceReservation {
    const taken = new Set([...inUse].map(deviceKey));
    for (const key of this.inFlight.get(instanceId) ?? []) taken.add(key);
    for (const key of this.live(this.recentlyAssigned, instanceId, this.options.assignedNameMemoryMs).keys()) taken.add(key);
    const failed = this.live(this.recentlyFailed, instanceId, this.options.failedNameMemoryMs);

    const free = DEVICE_NAMES.filter((name) => !taken.has(deviceKey(name)));
    const preferred = free.find((name) => !failed.has(deviceKey(name)));
    // Among recently refused names, the one refused longest ago is the likeliest to work now.
    const name = preferred ?? free.sort((a, b) => (failed.get(deviceKey(a)) ?? 0) - (failed.get(deviceKey(b)) ?? 0))[0];
    if (name === undefined) {
      throw new CloudError('AttachmentLimitExceeded',
        `instance ${instanceId} has no free attach device name left (all ${DEVICE_NAMES.length} names are in use or being attached)`);
    }
    const key = deviceKey(name);
    const held = this.inFlight.get(instanceId) ?? new Set<string>();
    held.add(key);
    this.inFlight.set(instanceId, held);

    let released = false;
    return {
      instanceId,
      name,
      release: (outcome) => {
        if (released) return;
        released = true;
        held.delete(key);
        if (held.size === 0 && this.inFlight.get(instanceId) === held) this.inFlight.delete(instanceId);
        if (outcome === 'assigned') this.remember(this.recentlyAssigned, instanceId, key);
      },
    };
  }

  /** EC2 refused `name` as already in use on `instanceId`: try it last for a while. */
  markFailed(instanceId: string, name: string): void {
    this.remember(this.recentlyFailed, instanceId, deviceKey(name));
  }

  /** The volume at `name` was detached: the name may be used again at once. */
  markDetached(instanceId: string, name: string): void {
    const assigned = this.recentlyAssigned.get(instanceId);
    assigned?.delete(deviceKey(name));
    if (assigned?.size === 0) this.recentlyAssigned.delete(instanceId);
  }

  private remember(table: Map<string, Map<string, number>>, instanceId: string, key: string): void {
    const entries = table.get(instanceId) ?? new Map<string, number>();
    entries.set(key, this.options.now());
    table.set(instanceId, entries);
  }

  /** The entries of `table` for the instance that are younger than `ttlMs` (older ones are dropped). */
  private live(table: Map<string, Map<string, number>>, instanceId: string, ttlMs: number): ReadonlyMap<string, number> {
    const entries = table.get(instanceId);
    if (!entries) return new Map();
    const now = this.options.now();
    for (const [key, at] of entries) if (now - at >= ttlMs) entries.delete(key);
    if (entries.size === 0) table.delete(instanceId);
    return entries;
  }
}
