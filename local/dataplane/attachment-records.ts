// The data plane's memory of what it attached: loop device and links per volume, written
// to disk after every change so that a later start (or `cleanup`) can undo the work of a
// run that was killed before it could clean up after itself.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface AttachmentRecord {
  readonly volumeId: string;
  readonly loopDevice: string;
  /** Device name EC2 recorded for the attachment (e.g. /dev/xvdba). */
  readonly device: string;
  /** Links we created that point at the loop device. */
  readonly links: readonly string[];
}

export class AttachmentRecords {
  readonly #file: string;
  #records = new Map<string, AttachmentRecord>();

  constructor(stateDir: string) {
    this.#file = join(stateDir, 'attachments.json');
  }

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch {
      this.#records = new Map();
      return;
    }
    const parsed = JSON.parse(text) as AttachmentRecord[];
    this.#records = new Map(parsed.map((r) => [r.volumeId, r]));
  }

  get(volumeId: string): AttachmentRecord | undefined {
    return this.#records.get(volumeId);
  }

  all(): AttachmentRecord[] {
    return [...this.#records.values()];
  }

  async put(record: AttachmentRecord): Promise<void> {
    this.#records.set(record.volumeId, record);
    await this.#save();
  }

  async remove(volumeId: string): Promise<void> {
    if (this.#records.delete(volumeId)) await this.#save();
  }

  async #save(): Promise<void> {
    const temporary = `${this.#file}.tmp`;
    await writeFile(temporary, JSON.stringify(this.all(), null, 2));
    await rename(temporary, this.#file);
  }
}
