// Tracks the keys (volume ids, names) with an operation under way. The CO may send a
// second call for the same volume before the first returns; CSI lets us answer ABORTED
// so the two never race on the same EC2 resource.
//
// A claim owns its keys: releasing a claim frees only the keys it still holds. The
// pipeline releases a claim early when the caller's deadline passes (so a handler that
// never settles cannot hold a volume hostage); when that abandoned handler finally
// settles, its release must not free the keys of a newer call that claimed them since.

export interface Claim {
  readonly keys: readonly string[];
}

export class InFlight {
  readonly #owners = new Map<string, Claim>();

  /** Claims every key, or none: undefined when one is already claimed. */
  tryClaim(keys: readonly string[]): Claim | undefined {
    if (keys.some((k) => this.#owners.has(k))) return undefined;
    const claim: Claim = { keys: [...keys] };
    for (const k of keys) this.#owners.set(k, claim);
    return claim;
  }

  /** Frees the keys this claim still owns; a second release of the same claim does nothing. */
  release(claim: Claim): void {
    for (const k of claim.keys) if (this.#owners.get(k) === claim) this.#owners.delete(k);
  }
}
