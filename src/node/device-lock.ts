// One staging change per device at a time, inside this process. The pipeline's in-flight
// keys stop two live calls on one volume, but it lets go of an abandoned call at its
// deadline while the call's mkfs may still be running; the CO's retry must then wait for
// that mkfs rather than probe a half-written device and start a second one.
const tails = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier work on the same device (by "major:minor") has settled. */
export function withDeviceLock<T>(deviceNumber: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(deviceNumber) ?? Promise.resolve();
  const run = previous.then(work, work);
  const tail = run.then(() => undefined, () => undefined);
  tails.set(deviceNumber, tail);
  void tail.then(() => { if (tails.get(deviceNumber) === tail) tails.delete(deviceNumber); });
  return run;
}
