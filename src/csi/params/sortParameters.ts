// Sorts the parameters of a StorageClass, VolumeSnapshotClass or VolumeAttributesClass by key,
// case-insensitively as the reference driver does: known keys under their canonical name,
// numbered keys (tagSpecification_N, tagDeletion_N) into their family, unknown keys refused
// with INVALID_ARGUMENT, and two spellings of one key refused too (which would win is a guess).
import { invalidArgument } from '../../errors.js';

export interface ParameterKeys<K extends string, F extends string> {
  /** Lower-case spelling → canonical key; `null` accepts the key and ignores it (retired options). */
  readonly known: ReadonlyMap<string, K | null>;
  /** Numbered key families, tested against the lower-case key. */
  readonly families: Readonly<Record<F, RegExp>>;
  /** The INVALID_ARGUMENT message for an unknown key, naming the allowed ones. */
  readonly unknownKey: (key: string) => string;
}

export interface SortedParameters<K extends string, F extends string> {
  readonly known: ReadonlyMap<K, string>;
  /** [key as given, value] pairs per family, in the order given. */
  readonly families: Readonly<Record<F, [string, string][]>>;
}

export function sortParameters<K extends string, F extends string>(
  parameters: Readonly<Record<string, string>>, keys: ParameterKeys<K, F>,
): SortedParameters<K, F> {
  const known = new Map<K, string>();
  const families = Object.fromEntries(Object.keys(keys.families).map((f) => [f, []])) as unknown as Record<F, [string, string][]>;
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(parameters)) {
    const lower = key.toLowerCase();
    const canonical = keys.known.get(lower);
    const identity = canonical?.toLowerCase() ?? lower;
    const earlier = seen.get(identity);
    if (earlier !== undefined) throw invalidArgument(`parameters "${earlier}" and "${key}" name the same parameter; give it once`);
    seen.set(identity, key);
    if (canonical) {
      known.set(canonical, value);
      continue;
    }
    if (canonical === null) continue;
    const family = (Object.entries(keys.families) as [F, RegExp][]).find(([, pattern]) => pattern.test(lower))?.[0];
    if (family === undefined) throw invalidArgument(keys.unknownKey(key));
    families[family].push([key, value]);
  }
  return { known, families };
}

/** The lower-case lookup for a list of canonical keys. */
export const keysByLowerCase = <K extends string>(canonical: readonly K[]): Map<string, K | null> =>
  new Map(canonical.map((k) => [k.toLowerCase(), k]));
