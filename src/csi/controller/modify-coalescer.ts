// Merges the ControllerExpandVolume and ControllerModifyVolume requests that arrive for one
// volume within a short window into a single change, applied by one ModifyVolume call.
// EC2 accepts one modification per volume every few hours, so a resize and a
// VolumeAttributesClass change sent as two calls would see the second one fail.
//
// Per volume there is at most one batch collecting requests and one being applied; a
// collecting batch waits for the applied one to finish, so changes to a volume never race.
// A request that asks for a different value of a field another pending request sets is
// refused with ABORTED (the CO retries it once the first change is done).
import { runForAllCalls } from '../../call-scope.js';
import { CsiError } from '../../errors.js';
import type { DesiredChange } from './modify-plan.js';

/** A request's change; capacityLimitGiB bounds what the merged size may become. */
export interface ChangeRequest extends DesiredChange {
  readonly capacityLimitGiB?: number;
}

/** `context` is the first merged request's (e.g. its logger). */
export type ApplyChange<R, C> = (volumeId: string, change: ChangeRequest, context: C) => Promise<R>;

interface Batch<R, C> {
  change: ChangeRequest;
  readonly context: C;
  readonly result: Promise<R>;
  readonly resolve: (value: R) => void;
  readonly reject: (err: unknown) => void;
}

type ValueField = 'volumeType' | 'iops' | 'iopsPerGB' | 'throughput' | 'allowAutoIopsIncrease';
const VALUE_FIELDS: readonly ValueField[] = ['volumeType', 'iops', 'iopsPerGB', 'throughput', 'allowAutoIopsIncrease'];

function conflict(volumeId: string, detail: string): CsiError {
  return new CsiError('ABORTED', `volume ${volumeId} has another change pending that conflicts with this one (${detail}); retry when it is done`);
}

/** The change asking for both; throws ABORTED when they disagree. */
export function mergeChanges(volumeId: string, a: ChangeRequest, b: ChangeRequest): ChangeRequest {
  const merged: { -readonly [K in keyof ChangeRequest]: ChangeRequest[K] } = { ...a };
  for (const field of VALUE_FIELDS) {
    const [x, y] = [a[field], b[field]];
    if (x !== undefined && y !== undefined && x !== y) throw conflict(volumeId, `${field} ${String(x)} vs ${String(y)}`);
    if (y !== undefined) (merged as Record<ValueField, unknown>)[field] = y;
  }
  if (merged.iops !== undefined && merged.iopsPerGB !== undefined) throw conflict(volumeId, 'iops vs iopsPerGB');
  // Expansions ask for "at least": the larger size satisfies both, unless a limit forbids it.
  if (b.capacityGiB !== undefined) merged.capacityGiB = Math.max(a.capacityGiB ?? 0, b.capacityGiB);
  if (b.capacityLimitGiB !== undefined) merged.capacityLimitGiB = Math.min(a.capacityLimitGiB ?? Infinity, b.capacityLimitGiB);
  if (merged.capacityGiB !== undefined && merged.capacityLimitGiB !== undefined && merged.capacityGiB > merged.capacityLimitGiB) {
    throw conflict(volumeId, `size ${merged.capacityGiB} GiB vs limit ${merged.capacityLimitGiB} GiB`);
  }
  return merged;
}

/** True when applying `applied` also gives what `wanted` asks for. */
function covers(applied: ChangeRequest, wanted: ChangeRequest): boolean {
  if (VALUE_FIELDS.some((f) => wanted[f] !== undefined && wanted[f] !== applied[f])) return false;
  if (wanted.capacityGiB === undefined) return true;
  const size = applied.capacityGiB ?? 0;
  return size >= wanted.capacityGiB && size <= (wanted.capacityLimitGiB ?? Infinity);
}

export class ModifyCoalescer<R, C> {
  readonly #collecting = new Map<string, Batch<R, C>>();
  readonly #applying = new Map<string, Batch<R, C>>();

  constructor(private readonly apply: ApplyChange<R, C>, private readonly windowMs: number) {}

  /** Resolves with the result of the (possibly merged) change once it is applied. */
  submit(volumeId: string, change: ChangeRequest, context: C): Promise<R> {
    const applying = this.#applying.get(volumeId);
    if (applying && covers(applying.change, change)) return applying.result;
    const collecting = this.#collecting.get(volumeId);
    if (collecting) {
      collecting.change = mergeChanges(volumeId, collecting.change, change);
      return collecting.result;
    }
    let resolve!: (value: R) => void;
    let reject!: (err: unknown) => void;
    const result = new Promise<R>((res, rej) => { resolve = res; reject = rej; });
    const batch: Batch<R, C> = { change, context, result, resolve, reject };
    this.#collecting.set(volumeId, batch);
    // The merged change serves every caller that joined, so no one caller's leaving stops it.
    runForAllCalls(() => setTimeout(() => void this.#run(volumeId, batch), this.windowMs));
    return result;
  }

  /** Volumes with a change collecting or being applied (for tests and metrics). */
  get pendingVolumes(): number {
    return new Set([...this.#collecting.keys(), ...this.#applying.keys()]).size;
  }

  async #run(volumeId: string, batch: Batch<R, C>): Promise<void> {
    // Requests may still join while an earlier change of this volume finishes.
    const earlier = this.#applying.get(volumeId);
    if (earlier) await earlier.result.catch(() => undefined);
    this.#collecting.delete(volumeId);
    this.#applying.set(volumeId, batch);
    try {
      batch.resolve(await this.apply(volumeId, batch.change, batch.context));
    } catch (err) {
      batch.reject(err);
    } finally {
      this.#applying.delete(volumeId);
    }
  }
}
