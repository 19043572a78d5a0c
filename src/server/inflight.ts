// Tracks the keys (volume ids, names) with an operation under way. The CO may send a
// second call for the same volume before the first returns; CSI lets us answer ABORTED
// so the two never race on the same EC2 resource.

export class InFlight {
  readonly #keys = new Set<string>();

  /** Claims every key, or none: returns false when one is already claimed. */
  tryClaim(keys: readonly string[]): boolean {
    if (keys.some((k) => this.#keys.has(k))) return false;
    for (const k of keys) this.#keys.add(k);
    return true;
  }

  release(keys: readonly string[]): void {
    for (const k of keys) this.#keys.delete(k);
  }
}
