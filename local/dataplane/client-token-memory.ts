// EC2's memory of ClientTokens, which the emulator lacks. For the actions EC2 gives a
// ClientToken (CreateVolume, CopyVolumes), a repeated token with the same parameters gets the
// first answer again (with the volume's current state, as EC2 updates it) and makes
// nothing new; the same token with other parameters fails with IdempotentParameterMismatch.
// Without this, a driver retrying after a lost answer makes a second volume against the
// emulator, where real EC2 would have returned the first.
//
// The memory is written to the state directory after every new token, so a data plane
// restarted in the middle of a run still answers repeats the way EC2 would. It belongs to
// one emulator world: its node instance id is stored with it, and a memory made for another
// instance (a restarted emulator, whose volumes are gone) is dropped.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** EC2 actions that take a ClientToken, among those the data plane gives effects to. */
export const TOKEN_ACTIONS: ReadonlySet<string> = new Set(['CreateVolume', 'CopyVolumes']);

/** Parameters that are not part of what a token promises. */
const NOT_COMPARED = new Set(['Action', 'Version', 'ClientToken']);

export interface RecordedAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

interface Entry {
  readonly action: string;
  readonly token: string;
  /** The request's parameters, sorted, without the token. */
  readonly fingerprint: string;
  /** The volume the first call made. */
  readonly volumeId: string;
  readonly answer: RecordedAnswer;
  readonly at: number;
}

interface Stored {
  readonly epoch: string;
  readonly entries: readonly Entry[];
}

export type TokenVerdict =
  | { readonly kind: 'new' }
  | { readonly kind: 'replay'; readonly volumeId: string; readonly answer: RecordedAnswer }
  | { readonly kind: 'mismatch'; readonly token: string };

export interface TokenMemoryOptions {
  /** How long EC2 keeps a token. */
  readonly memoryMs: number;
  readonly maxEntries: number;
  readonly now: () => number;
}

const DEFAULT_OPTIONS: TokenMemoryOptions = { memoryMs: 24 * 3600_000, maxEntries: 20_000, now: Date.now };

function fingerprintOf(params: URLSearchParams): string {
  const kept = [...params].filter(([key]) => !NOT_COMPARED.has(key)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(kept);
}

export class ClientTokenMemory {
  readonly #file: string;
  readonly #options: TokenMemoryOptions;
  #entries = new Map<string, Entry>();

  constructor(stateDir: string, private readonly epoch: string, options: Partial<TokenMemoryOptions> = {}) {
    this.#file = join(stateDir, 'client-tokens.json');
    this.#options = { ...DEFAULT_OPTIONS, ...options };
  }

  /** Loads what an earlier data plane of the same emulator world remembered. */
  async load(): Promise<void> {
    const text = await readFile(this.#file, 'utf8').catch(() => undefined);
    const stored = text === undefined ? undefined : (JSON.parse(text) as Stored);
    this.#entries = new Map(stored?.epoch === this.epoch ? stored.entries.map((e) => [this.#key(e.action, e.token), e]) : []);
    this.#forgetOld();
  }

  /** What EC2 would do with this request, as far as its token goes. DryRun requests make nothing and are not remembered. */
  verdict(action: string, params: URLSearchParams): TokenVerdict {
    const token = params.get('ClientToken');
    if (!TOKEN_ACTIONS.has(action) || !token || params.get('DryRun') === 'true') return { kind: 'new' };
    const entry = this.#live(this.#key(action, token));
    if (entry === undefined) return { kind: 'new' };
    if (entry.fingerprint !== fingerprintOf(params)) return { kind: 'mismatch', token };
    return { kind: 'replay', volumeId: entry.volumeId, answer: entry.answer };
  }

  /** Remembers the answer to a successful call that carried a token. */
  async remember(action: string, params: URLSearchParams, volumeId: string, answer: RecordedAnswer): Promise<void> {
    const token = params.get('ClientToken');
    if (!TOKEN_ACTIONS.has(action) || !token || params.get('DryRun') === 'true') return;
    const key = this.#key(action, token);
    this.#entries.delete(key);
    this.#entries.set(key, { action, token, fingerprint: fingerprintOf(params), volumeId, answer, at: this.#options.now() });
    this.#forgetOld();
    const stored: Stored = { epoch: this.epoch, entries: [...this.#entries.values()] };
    const temporary = `${this.#file}.tmp`;
    await writeFile(temporary, JSON.stringify(stored));
    await rename(temporary, this.#file);
  }

  #key(action: string, token: string): string {
    return `${action}\u0000${token}`;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && this.#options.now() - entry.at < this.#options.memoryMs ? entry : undefined;
  }

  /** Entries are in insertion order: drop the expired ones and any beyond the cap, oldest first. */
  #forgetOld(): void {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#options.maxEntries && this.#options.now() - entry.at < this.#options.memoryMs) break;
      this.#entries.delete(key);
    }
  }
}
