// The ClientToken of a volume's CreateVolume / CopyVolumes call. EC2 remembers a token for
// hours: the same token with the same parameters answers with the volume it made first, the
// same token with other parameters fails with IdempotentParameterMismatch. So the token is
// derived from the CO's volume name (a retry after a lost answer finds the first volume),
// and it is rotated when the volume it made is known to be dead (it went to "error", or
// EC2 replays a volume that is deleting or deleted): otherwise that name could not be
// provisioned again until EC2 forgot the token.
import { createHash } from 'node:crypto';

/** sha256 of the name (or of "name-N" after N-1 rotations) fits EC2's 64-character limit. */
const digest = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 64);

/** The first token of a name: what every driver instance derives without shared state. */
export const clientTokenFor = (name: string): string => digest(name);

export interface ClientTokenOptions {
  /** How long a rotation is remembered: at least as long as EC2 keeps a token (hours). */
  readonly memoryMs: number;
  /** Rotations kept at most; each is one failed volume, so this is never reached in practice. */
  readonly maxEntries: number;
  readonly now: () => number;
}

const DEFAULT_OPTIONS: ClientTokenOptions = { memoryMs: 24 * 3600_000, maxEntries: 10_000, now: Date.now };

export class ClientTokens {
  private readonly generations = new Map<string, { readonly generation: number; readonly at: number }>();
  private readonly options: ClientTokenOptions;

  constructor(options: Partial<ClientTokenOptions> = {}) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
  }

  /** The token to send now for the volume named `name`. */
  tokenFor(name: string): string {
    const entry = this.live(name);
    return entry ? digest(`${name}-${entry.generation}`) : clientTokenFor(name);
  }

  /** The volume the current token made is dead: the next call for `name` uses a new token. */
  rotate(name: string): void {
    const generation = (this.live(name)?.generation ?? 1) + 1;
    this.generations.delete(name);
    this.generations.set(name, { generation, at: this.options.now() });
    // Oldest first (Map keeps insertion order): drop what is past its memory or over the cap.
    for (const [key, entry] of this.generations) {
      if (this.generations.size <= this.options.maxEntries && this.options.now() - entry.at < this.options.memoryMs) break;
      this.generations.delete(key);
    }
  }

  private live(name: string): { readonly generation: number } | undefined {
    const entry = this.generations.get(name);
    if (entry && this.options.now() - entry.at >= this.options.memoryMs) {
      this.generations.delete(name);
      return undefined;
    }
    return entry;
  }
}
