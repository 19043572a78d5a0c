// Tokens of the tag-template language: the subset of Go's text/template that the reference
// driver's users write in tagSpecification_N and --extra-tags values. Text outside `{{ }}`
// is kept verbatim; inside an action we lex Go's operands (fields, variables, identifiers,
// string/raw-string/number/bool literals), pipes, parentheses and declarations. Trim markers
// (`{{- ` and ` -}}`) and comments (`{{/* */}}`) behave as in Go.
import { TemplateError } from './errors.js';

export type Token =
  | { readonly t: 'text'; readonly value: string }
  | { readonly t: 'open' }
  | { readonly t: 'close' }
  | { readonly t: 'space' }
  | { readonly t: 'field'; readonly name: string }
  | { readonly t: 'dot' }
  | { readonly t: 'variable'; readonly name: string }
  | { readonly t: 'identifier'; readonly name: string }
  | { readonly t: 'keyword'; readonly name: string }
  | { readonly t: 'string'; readonly value: string }
  | { readonly t: 'number'; readonly text: string }
  | { readonly t: 'bool'; readonly value: boolean }
  | { readonly t: 'nil' }
  | { readonly t: 'char'; readonly text: string }
  | { readonly t: 'pipe' }
  | { readonly t: 'lparen' }
  | { readonly t: 'rparen' }
  | { readonly t: 'declare' }
  | { readonly t: 'assign' };

const OPEN = '{{';
const CLOSE = '}}';
const COMMENT_OPEN = '/*';
const COMMENT_CLOSE = '*/';
const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

/** Go's isSpace for templates: space, tab, carriage return, newline. */
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string | undefined): boolean => c !== undefined && /^[\p{L}\p{Nd}_]$/u.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

function trimRightSpace(text: string): string {
  let end = text.length;
  while (end > 0 && isSpace(text[end - 1])) end--;
  return text.slice(0, end);
}

/** `{{-` followed by a space: trims the text before the action. */
const hasLeftTrim = (s: string, at: number): boolean => s[at] === '-' && isSpace(s[at + 1]);
/** A space, then `-}}`: trims the text after the action. */
const hasRightTrim = (s: string, at: number): boolean => isSpace(s[at]) && s[at + 1] === '-' && s.startsWith(CLOSE, at + 2);

/** Go's strconv.Unquote for a double-quoted literal's body. */
function unquote(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c !== '\\') { out += c; continue; }
    const e = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };
    if (e !== undefined && simple[e] !== undefined) { out += simple[e]; continue; }
    const hex = (len: number): number => {
      const digits = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(digits)) throw new TemplateError(`invalid escape \\${e ?? ''}${digits} in string literal`);
      i += len;
      return parseInt(digits, 16);
    };
    if (e === 'x') { out += String.fromCharCode(hex(2)); continue; }
    if (e === 'u') { out += String.fromCodePoint(hex(4)); continue; }
    if (e === 'U') { out += String.fromCodePoint(hex(8)); continue; }
    if (e !== undefined && /[0-7]/.test(e)) {
      const digits = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) throw new TemplateError(`invalid octal escape \\${digits} in string literal`);
      out += String.fromCharCode(parseInt(digits, 8));
      i += 2;
      continue;
    }
    throw new TemplateError(`unknown escape sequence \\${e ?? ''} in string literal`);
  }
  return out;
}

class ActionLexer {
  readonly tokens: Token[] = [];
  private parenDepth = 0;

  constructor(private readonly src: string, public pos: number) {}

  /** Lexes up to and including the closing delimiter; returns whether it trims the following text. */
  run(): boolean {
    const s = this.src;
    for (;;) {
      if (this.pos >= s.length) throw new TemplateError('unclosed action');
      if (hasRightTrim(s, this.pos)) { this.close(2); return true; }
      if (s.startsWith(CLOSE, this.pos)) { this.close(0); return false; }
      const c = s[this.pos] ?? '';
      if (isSpace(c)) {
        while (isSpace(s[this.pos]) && !hasRightTrim(s, this.pos)) this.pos++;
        this.push({ t: 'space' });
      } else if (c === '|') { this.pos++; this.push({ t: 'pipe' }); }
      else if (c === '(') { this.pos++; this.parenDepth++; this.push({ t: 'lparen' }); }
      else if (c === ')') {
        if (this.parenDepth === 0) throw new TemplateError('unexpected right paren');
        this.pos++; this.parenDepth--; this.push({ t: 'rparen' });
      } else if (c === ':' && s[this.pos + 1] === '=') { this.pos += 2; this.push({ t: 'declare' }); }
      else if (c === '=') { this.pos++; this.push({ t: 'assign' }); }
      else if (c === '"') this.quoted();
      else if (c === '`') this.raw();
      else if (c === '\'') this.char();
      else if (c === '$') { this.pos++; this.push({ t: 'variable', name: '$' + this.word() }); }
      else if (c === '.' && !isDigit(s[this.pos + 1])) {
        this.pos++;
        const name = this.word();
        this.push(name === '' ? { t: 'dot' } : { t: 'field', name });
      } else if (c === '+' || c === '-' || c === '.' || isDigit(c)) this.number();
      else if (isAlphaNumeric(c)) this.identifier();
      else throw new TemplateError(`unexpected ${JSON.stringify(c)} in action`);
    }
  }

  private close(trimLength: number): void {
    if (this.parenDepth > 0) throw new TemplateError('unclosed left paren');
    this.pos += trimLength + CLOSE.length;
    this.push({ t: 'close' });
  }

  private push(token: Token): void {
    this.tokens.push(token);
  }

  private word(): string {
    const start = this.pos;
    while (isAlphaNumeric(this.src[this.pos])) this.pos++;
    return this.src.slice(start, this.pos);
  }

  private identifier(): void {
    const name = this.word();
    if (name === 'true' || name === 'false') this.push({ t: 'bool', value: name === 'true' });
    else if (name === 'nil') this.push({ t: 'nil' });
    else if (KEYWORDS.has(name)) this.push({ t: 'keyword', name });
    else this.push({ t: 'identifier', name });
  }

  private quoted(): void {
    const s = this.src;
    let i = this.pos + 1;
    for (; i < s.length && s[i] !== '"'; i++) {
      if (s[i] === '\\') i++;
      if (s[i] === '\n') throw new TemplateError('unterminated quoted string');
    }
    if (i >= s.length) throw new TemplateError('unterminated quoted string');
    this.push({ t: 'string', value: unquote(s.slice(this.pos + 1, i)) });
    this.pos = i + 1;
  }

  private raw(): void {
    const end = this.src.indexOf('`', this.pos + 1);
    if (end < 0) throw new TemplateError('unterminated raw quoted string');
    this.push({ t: 'string', value: this.src.slice(this.pos + 1, end) });
    this.pos = end + 1;
  }

  private char(): void {
    const match = /^'(\\.[^']*|[^'\\])'/u.exec(this.src.slice(this.pos));
    if (!match) throw new TemplateError('unterminated character constant');
    this.push({ t: 'char', text: match[0] });
    this.pos += match[0].length;
  }

  private number(): void {
    // Go's number syntax: an optional sign, then decimal, hex, octal or binary digits with
    // underscores, an optional fraction and exponent. Anything glued on is an error, as in Go.
    const match = /^[+-]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(\d[\d_]*)?(\.\d*)?([eE][+-]?\d+)?)/.exec(this.src.slice(this.pos));
    const text = match?.[0] ?? '';
    const next = this.src[this.pos + text.length];
    if (!/\d/.test(text) || isAlphaNumeric(next) || next === '.') {
      throw new TemplateError(`bad number syntax: ${JSON.stringify(this.src.slice(this.pos, this.pos + text.length + 1))}`);
    }
    this.push({ t: 'number', text });
    this.pos += text.length;
  }
}

/** Splits a template into text and action tokens. */
export function lex(src: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let trimNextText = false;
  for (;;) {
    const open = src.indexOf(OPEN, pos);
    let text = src.slice(pos, open < 0 ? src.length : open);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, '');
    if (open < 0) {
      if (text) tokens.push({ t: 'text', value: text });
      return tokens;
    }
    let at = open + OPEN.length;
    if (hasLeftTrim(src, at)) {
      text = trimRightSpace(text);
      at += 2;
    }
    if (text) tokens.push({ t: 'text', value: text });
    if (src.startsWith(COMMENT_OPEN, at)) {
      const end = src.indexOf(COMMENT_CLOSE, at + COMMENT_OPEN.length);
      if (end < 0) throw new TemplateError('unclosed comment');
      at = end + COMMENT_CLOSE.length;
      if (hasRightTrim(src, at)) { pos = at + 2 + CLOSE.length; trimNextText = true; continue; }
      if (!src.startsWith(CLOSE, at)) throw new TemplateError('comment ends before closing delimiter');
      pos = at + CLOSE.length;
      trimNextText = false;
      continue;
    }
    tokens.push({ t: 'open' });
    const action = new ActionLexer(src, at);
    trimNextText = action.run();
    tokens.push(...action.tokens);
    pos = action.pos;
  }
}
