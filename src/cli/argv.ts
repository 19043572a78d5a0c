// Splits a command line the way the reference driver's flag library (spf13/pflag) does, so
// the arguments its manifests and add-on configurations pass mean the same here:
//   --name=value, --name value (value flags take the next word even when it starts with "-"),
//   --name / --name=true|false|1|0|t|f (boolean flags never take the next word),
//   -v=4, -v 4, -v4 (one-letter shorthands), "--" ends the flags.
// Repeating a flag keeps every value (maps and lists merge them; single values keep the last).
export type FlagType = 'string' | 'boolean';

export interface FlagShape {
  readonly type: FlagType;
  readonly short?: string;
}

export interface ParsedArgv {
  readonly positionals: readonly string[];
  /** Every value given per flag, in order; booleans as "true"/"false". */
  readonly values: ReadonlyMap<string, readonly string[]>;
}

export class ArgvError extends Error {
  override name = 'ArgvError';
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool, which pflag uses for boolean flags. */
export function parseGoBool(name: string, text: string): boolean {
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  throw new ArgvError(`invalid argument "${text}" for "--${name}" flag: a boolean must be true or false`);
}

export function splitArgv(argv: readonly string[], flags: Readonly<Record<string, FlagShape>>): ParsedArgv {
  const byShort = new Map(Object.entries(flags).filter(([, f]) => f.short).map(([name, f]) => [f.short ?? '', name]));
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  const add = (name: string, value: string): void => {
    const list = values.get(name) ?? [];
    list.push(value);
    values.set(name, list);
  };
  const take = (name: string, inline: string | undefined, rest: string[]): void => {
    const shape = flags[name];
    if (!shape) throw new ArgvError(`unknown flag: --${name}`);
    if (shape.type === 'boolean') {
      add(name, String(inline === undefined ? true : parseGoBool(name, inline)));
      return;
    }
    if (inline !== undefined) { add(name, inline); return; }
    const next = rest.shift();
    if (next === undefined) throw new ArgvError(`flag needs an argument: --${name}`);
    add(name, next);
  };

  const rest = [...argv];
  while (rest.length > 0) {
    const arg = rest.shift() ?? '';
    if (arg === '--') { positionals.push(...rest); break; }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      take(eq < 0 ? arg.slice(2) : arg.slice(2, eq), eq < 0 ? undefined : arg.slice(eq + 1), rest);
    } else if (arg.startsWith('-') && arg.length > 1) {
      const letter = arg[1] ?? '';
      const name = byShort.get(letter);
      if (!name) throw new ArgvError(`unknown shorthand flag: '${letter}' in ${arg}`);
      const after = arg.slice(2);
      // "-v=4" and "-v4" carry the value; "-v 4" takes the next word.
      take(name, after === '' ? undefined : after.startsWith('=') ? after.slice(1) : after, rest);
    } else {
      positionals.push(arg);
    }
  }
  return { positionals, values };
}

/** Go's time.ParseDuration, in milliseconds: "2s", "500ms", "1m30s", "1.5h". */
export function parseGoDuration(name: string, text: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new ArgvError(`invalid argument "${text}" for "--${name}" flag: a duration such as 2s, 500ms or 1m30s`);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * (units[p[2] ?? 's'] ?? 0), 0);
}
