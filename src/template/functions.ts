// Values and functions of the tag-template language. The functions are the ones the
// reference driver's documentation offers (field, substring, toUpper, toLower, contains) and
// the two its function map also defines (index, lastIndex), with Go's semantics: strings are
// indexed by UTF-8 byte as Go slices them, and what would panic in Go is an error here.
import { TemplateError } from './errors.js';

/** The data a template runs against: a named set of string fields, in declaration order. */
export interface TemplateData {
  /** Shown in errors, like Go's type name ("PVProps"). */
  readonly typeName: string;
  readonly fields: ReadonlyArray<readonly [name: string, value: string]>;
}

export type Value =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'struct'; readonly data: TemplateData }
  | { readonly kind: 'nil' };

export type ParamType = 'string' | 'int';
type Arg = string | number;

interface TemplateFunction {
  /** Undefined: variadic, any argument (the disabled functions). */
  readonly params?: readonly ParamType[];
  readonly call: (args: readonly Arg[]) => Value;
}

const str = (value: string): Value => ({ kind: 'string', value });
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Go's s[start:end] on the UTF-8 bytes, with Go's bounds rule (0 ≤ start ≤ end ≤ len). */
function byteSlice(s: string, start: number, end: number): string {
  const bytes = utf8(s);
  if (start < 0 || end < start || end > bytes.length) {
    throw new TemplateError(`slice bounds out of range [${start}:${end}] with length ${bytes.length}`);
  }
  return bytes.subarray(start, end).toString('utf8');
}

/**
 * Go's unicode.ToUpper/ToLower map one rune to one rune; JavaScript's full case mapping may
 * turn one character into several (ß → SS). Keep the character where that would happen.
 */
function mapRunes(s: string, map: (c: string) => string): string {
  let out = '';
  for (const c of s) {
    const mapped = map(c);
    out += [...mapped].length === 1 ? mapped : c;
  }
  return out;
}

/** Go's strings.Split: an empty separator splits after each character. */
function split(s: string, sep: string): string[] {
  return sep === '' ? [...s] : s.split(sep);
}

function byteIndex(haystack: string, needle: string, last: boolean): number {
  const h = utf8(haystack);
  const n = utf8(needle);
  if (n.length === 0) return last ? h.length : 0;
  return last ? h.lastIndexOf(n) : h.indexOf(n);
}

const asString = (a: Arg): string => String(a);
const asInt = (a: Arg): number => Number(a);

function disabled(name: string): TemplateFunction {
  return { call: () => { throw new TemplateError(`cannot call '${name}' function`); } };
}

const FUNCTIONS: Readonly<Record<string, TemplateFunction>> = {
  field: {
    params: ['string', 'int', 'string'],
    call: ([delim, idx, text]) => {
      const words = split(asString(text ?? ''), asString(delim ?? ''));
      const i = asInt(idx ?? 0);
      if (i >= words.length) throw new TemplateError(`extractWord: cannot index into split string; index = ${i}, length = ${words.length}`);
      if (i < 0) throw new TemplateError(`index out of range [${i}]`);
      return str(words[i] ?? '');
    },
  },
  substring: {
    params: ['int', 'int', 'string'],
    call: ([startArg, endArg, textArg]) => {
      const [start, end, text] = [asInt(startArg ?? 0), asInt(endArg ?? 0), asString(textArg ?? '')];
      const length = utf8(text).length;
      if (start < 0) return str(byteSlice(text, 0, end));
      if (end < 0 || end > length) return str(byteSlice(text, start, length));
      return str(byteSlice(text, start, end));
    },
  },
  toUpper: { params: ['string'], call: ([s]) => str(mapRunes(asString(s ?? ''), (c) => c.toUpperCase())) },
  toLower: { params: ['string'], call: ([s]) => str(mapRunes(asString(s ?? ''), (c) => c.toLowerCase())) },
  contains: { params: ['string', 'string'], call: ([sub, s]) => ({ kind: 'bool', value: asString(s ?? '').includes(asString(sub ?? '')) }) },
  index: { params: ['string', 'string'], call: ([sub, s]) => ({ kind: 'int', value: byteIndex(asString(s ?? ''), asString(sub ?? ''), false) }) },
  lastIndex: { params: ['string', 'string'], call: ([sub, s]) => ({ kind: 'int', value: byteIndex(asString(s ?? ''), asString(sub ?? ''), true) }) },
  // Defined so that templates using them fail the way the reference's do, with its message.
  html: disabled('html'),
  js: disabled('js'),
  call: disabled('call'),
  urlquery: disabled('urlquery'),
};

/** The functions a template may use, for messages. */
export const SUPPORTED_FUNCTIONS: readonly string[] = ['field', 'substring', 'toUpper', 'toLower', 'contains', 'index', 'lastIndex'];

export const isKnownFunction = (name: string): boolean => Object.hasOwn(FUNCTIONS, name);

export function functionNamed(name: string): TemplateFunction {
  const fn = FUNCTIONS[name];
  if (!fn) throw new TemplateError(`function "${name}" not defined`);
  return fn;
}

/** Go's fmt.Sprint of a value, as an action prints it. */
export function printValue(value: Value): string {
  switch (value.kind) {
    case 'string': return value.value;
    case 'bool': return String(value.value);
    case 'int': return String(value.value);
    case 'float': return formatFloat(value.value);
    case 'struct': return `{${value.data.fields.map(([, v]) => v).join(' ')}}`;
    case 'nil': return '<nil>';
  }
}

/** Go's %v of a float64: shortest form, exponent from 1e21 up. */
function formatFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const text = String(n);
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Go's type name of a value, for "wrong type" errors. */
export function typeName(value: Value): string {
  switch (value.kind) {
    case 'string': return 'string';
    case 'bool': return 'bool';
    case 'int': return 'int';
    case 'float': return 'float64';
    case 'struct': return `*template.${value.data.typeName}`;
    case 'nil': return 'nil';
  }
}
