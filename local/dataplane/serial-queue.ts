// Runs tasks one after another. The data plane changes shared host state (loop devices,
// /dev links, its record file) and reads the emulator between steps; doing one change at
// a time keeps each change's view of that state true without finer locks.
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
