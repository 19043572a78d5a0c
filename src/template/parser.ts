// Parses tag-template tokens into text and actions. Each action is a Go pipeline: an optional
// `$var :=` / `$var =`, then commands joined by `|`; a command is a function name with
// operands, or a single operand. Control structures ({{if}}, {{range}}, ...) and Go's
// built-in functions are refused with a message that says what is supported: the reference
// driver documents only the pieces parsed here.
import { TemplateError } from './errors.js';
import { isKnownFunction, SUPPORTED_FUNCTIONS } from './functions.js';
import type { Token } from './lexer.js';

export type Operand =
  | { readonly k: 'field'; readonly chain: readonly string[] }
  | { readonly k: 'dot' }
  | { readonly k: 'variable'; readonly name: string; readonly chain: readonly string[] }
  | { readonly k: 'function'; readonly name: string }
  | { readonly k: 'string'; readonly value: string }
  | { readonly k: 'number'; readonly text: string }
  | { readonly k: 'bool'; readonly value: boolean }
  | { readonly k: 'nil' }
  | { readonly k: 'pipeline'; readonly pipe: Pipeline; readonly chain: readonly string[] };

export interface Command {
  readonly operands: readonly Operand[];
}

export interface Pipeline {
  readonly decl?: { readonly name: string; readonly declare: boolean };
  readonly commands: readonly Command[];
}

export type TemplateNode = { readonly k: 'text'; readonly value: string } | { readonly k: 'action'; readonly pipe: Pipeline };

/** Go's built-in template functions: real in Go, but not offered here. */
const GO_BUILTINS = new Set(['and', 'or', 'not', 'len', 'slice', 'print', 'printf', 'println', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']);

function describe(token: Token | undefined): string {
  if (!token) return 'end of template';
  switch (token.t) {
    case 'close': return '"}}"';
    case 'rparen': return '")"';
    case 'pipe': return '"|"';
    case 'declare': return '":="';
    case 'assign': return '"="';
    case 'lparen': return '"("';
    default: return token.t;
  }
}

class Parser {
  private i = 0;
  private readonly variables = new Set<string>(['$']);

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): TemplateNode[] {
    const nodes: TemplateNode[] = [];
    while (this.i < this.tokens.length) {
      const token = this.next();
      if (token?.t === 'text') nodes.push({ k: 'text', value: token.value });
      else if (token?.t === 'open') nodes.push({ k: 'action', pipe: this.action() });
      else throw new TemplateError(`unexpected ${describe(token)}`);
    }
    return nodes;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private next(): Token | undefined {
    return this.tokens[this.i++];
  }

  private skipSpace(): void {
    while (this.peek()?.t === 'space') this.i++;
  }

  private action(): Pipeline {
    this.skipSpace();
    const first = this.peek();
    if (first?.t === 'keyword') {
      throw new TemplateError(`{{${first.name}}} is not supported in tag templates: use fields such as .PVCName, pipes and the functions ${SUPPORTED_FUNCTIONS.join(', ')}`);
    }
    const pipe = this.pipeline('close');
    this.next();
    return pipe;
  }

  /** Parses up to (not including) the end token. */
  private pipeline(end: 'close' | 'rparen'): Pipeline {
    this.skipSpace();
    const decl = this.declaration();
    const commands: Command[] = [];
    for (;;) {
      this.skipSpace();
      // As in Go, a trailing "|" before the end is allowed; a leading one is not.
      if (commands.length > 0 && this.peek()?.t === end) break;
      commands.push(this.command(end));
      const token = this.next();
      if (token?.t === 'pipe') continue;
      if (token?.t === end) { this.i--; break; }
      throw new TemplateError(`unexpected ${describe(token)} in pipeline`);
    }
    if (decl) this.variables.add(decl.name);
    return { ...(decl ? { decl } : {}), commands };
  }

  private declaration(): Pipeline['decl'] {
    const token = this.peek();
    if (token?.t !== 'variable') return undefined;
    let j = this.i + 1;
    while (this.tokens[j]?.t === 'space') j++;
    const op = this.tokens[j];
    if (op?.t !== 'declare' && op?.t !== 'assign') return undefined;
    if (op.t === 'assign' && !this.variables.has(token.name)) throw new TemplateError(`undefined variable "${token.name}"`);
    this.i = j + 1;
    return { name: token.name, declare: op.t === 'declare' };
  }

  private command(end: 'close' | 'rparen'): Command {
    const operands: Operand[] = [];
    for (;;) {
      this.skipSpace();
      const token = this.peek();
      if (token === undefined || token.t === 'pipe' || token.t === end) break;
      operands.push(this.operand());
      const after = this.peek();
      if (after?.t === 'space' || after?.t === 'pipe' || after?.t === end) continue;
      throw new TemplateError(`unexpected ${describe(after)} in operand`);
    }
    if (operands.length === 0) throw new TemplateError('missing value for command');
    return { operands };
  }

  /** A term with the fields chained onto it (`$x.A`, `(pipeline).A`). */
  private operand(): Operand {
    const term = this.term();
    const chain: string[] = [];
    while (this.peek()?.t === 'field') {
      const field = this.next();
      if (field?.t === 'field') chain.push(field.name);
    }
    if (chain.length === 0) return term;
    if (term.k === 'field') return { k: 'field', chain: [...term.chain, ...chain] };
    if (term.k === 'variable' || term.k === 'pipeline') return { ...term, chain: [...term.chain, ...chain] };
    throw new TemplateError(`unexpected . after term ${term.k}`);
  }

  private term(): Operand {
    const token = this.next();
    switch (token?.t) {
      case 'identifier': return this.functionName(token.name);
      case 'dot': return { k: 'dot' };
      case 'nil': return { k: 'nil' };
      case 'field': return { k: 'field', chain: [token.name] };
      case 'variable':
        if (!this.variables.has(token.name)) throw new TemplateError(`undefined variable "${token.name}"`);
        return { k: 'variable', name: token.name, chain: [] };
      case 'bool': return { k: 'bool', value: token.value };
      case 'number': return { k: 'number', text: token.text };
      case 'char': return { k: 'number', text: String(charValue(token.text)) };
      case 'string': return { k: 'string', value: token.value };
      case 'lparen': {
        const pipe = this.pipeline('rparen');
        this.next();
        return { k: 'pipeline', pipe, chain: [] };
      }
      case 'keyword': throw new TemplateError(`{{${token.name}}} is not supported in tag templates`);
      default: throw new TemplateError(`unexpected ${describe(token)} in command`);
    }
  }

  private functionName(name: string): Operand {
    if (isKnownFunction(name)) return { k: 'function', name };
    if (GO_BUILTINS.has(name)) {
      throw new TemplateError(`function "${name}" is not available in tag templates; use ${SUPPORTED_FUNCTIONS.join(', ')}`);
    }
    throw new TemplateError(`function "${name}" not defined; tag templates offer ${SUPPORTED_FUNCTIONS.join(', ')}`);
  }
}

/** The code point of a Go character constant such as 'a' or '\n'. */
function charValue(text: string): number {
  const body = text.slice(1, -1);
  let value = body;
  if (body.startsWith('\\')) {
    try {
      value = JSON.parse(`"${body === "\\'" ? "'" : body}"`) as string;
    } catch {
      throw new TemplateError(`malformed character constant ${text}`);
    }
  }
  const point = value.codePointAt(0);
  if (point === undefined || [...value].length !== 1) throw new TemplateError(`malformed character constant ${text}`);
  return point;
}

export function parse(tokens: readonly Token[]): TemplateNode[] {
  return new Parser(tokens).parse();
}
