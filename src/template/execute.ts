// Runs a parsed tag template against its data, with Go's text/template rules for the pieces
// offered: a pipe passes the previous command's value as the last argument; constants must
// fit the parameter type (a number is no string); a field takes no arguments; a declared
// variable makes the action print nothing.
import { TemplateError } from './errors.js';
import { functionNamed, printValue, typeName, type ParamType, type TemplateData, type Value } from './functions.js';
import type { Command, Operand, Pipeline, TemplateNode } from './parser.js';

function parseNumber(text: string): { value: number; isInt: boolean } {
  const clean = text.replace(/_/g, '');
  const sign = clean.startsWith('-') ? -1 : 1;
  const body = clean.replace(/^[+-]/, '');
  let value: number;
  if (/^0[xX]/.test(body)) value = parseInt(body.slice(2), 16);
  else if (/^0[oO]/.test(body)) value = parseInt(body.slice(2), 8);
  else if (/^0[bB]/.test(body)) value = parseInt(body.slice(2), 2);
  else if (/^0[0-7]+$/.test(body)) value = parseInt(body, 8);
  else value = Number(body);
  if (!Number.isFinite(value)) throw new TemplateError(`illegal number syntax: ${JSON.stringify(text)}`);
  return { value: sign * value, isInt: Number.isInteger(value) };
}

function describeOperand(op: Operand): string {
  switch (op.k) {
    case 'field': return `.${op.chain.join('.')}`;
    case 'dot': return '.';
    case 'variable': return [op.name, ...op.chain].join('.');
    case 'function': return op.name;
    case 'string': return JSON.stringify(op.value);
    case 'number': return op.text;
    case 'bool': return String(op.value);
    case 'nil': return 'nil';
    case 'pipeline': return '(…)';
  }
}

class Execution {
  private readonly root: Value;
  private readonly variables = new Map<string, Value>();

  constructor(data: TemplateData) {
    this.root = { kind: 'struct', data };
    this.variables.set('$', this.root);
  }

  run(nodes: readonly TemplateNode[]): string {
    let out = '';
    for (const node of nodes) {
      if (node.k === 'text') out += node.value;
      else {
        const value = this.pipeline(node.pipe);
        if (!node.pipe.decl) out += printValue(value);
      }
    }
    return out;
  }

  private pipeline(pipe: Pipeline): Value {
    let value: Value | undefined;
    for (const command of pipe.commands) value = this.command(command, value);
    if (value === undefined) throw new TemplateError('missing value for command');
    if (pipe.decl) this.variables.set(pipe.decl.name, value);
    return value;
  }

  private command(command: Command, final: Value | undefined): Value {
    const [first, ...args] = command.operands;
    if (!first) throw new TemplateError('empty command');
    if (first.k === 'function') return this.call(first.name, args, final);
    if (first.k === 'nil') throw new TemplateError('nil is not a command');
    if (args.length > 0 || final !== undefined) {
      if (first.k === 'field') throw new TemplateError(`${describeOperand(first)} has arguments but cannot be invoked as function`);
      throw new TemplateError(`can't give argument to non-function ${describeOperand(first)}`);
    }
    return this.operand(first);
  }

  private operand(op: Operand): Value {
    switch (op.k) {
      case 'field': return this.chain(this.root, op.chain);
      case 'dot': return this.root;
      case 'variable': {
        const value = this.variables.get(op.name);
        if (value === undefined) throw new TemplateError(`undefined variable: ${op.name}`);
        return this.chain(value, op.chain);
      }
      case 'string': return { kind: 'string', value: op.value };
      case 'bool': return { kind: 'bool', value: op.value };
      case 'number': {
        const { value, isInt } = parseNumber(op.text);
        // Go keeps 1.0 or 1e3 a float constant when printed, but either prints the same.
        return isInt && !/[.eE]/.test(op.text) ? { kind: 'int', value } : { kind: 'float', value };
      }
      case 'nil': return { kind: 'nil' };
      case 'pipeline': return this.chain(this.pipeline(op.pipe), op.chain);
      case 'function': return this.call(op.name, [], undefined);
    }
  }

  private chain(start: Value, names: readonly string[]): Value {
    let value = start;
    for (const name of names) {
      if (value.kind !== 'struct') throw new TemplateError(`can't evaluate field ${name} in type ${typeName(value)}`);
      const field = value.data.fields.find(([n]) => n === name);
      if (!field) throw new TemplateError(`can't evaluate field ${name} in type ${typeName(value)}`);
      value = { kind: 'string', value: field[1] };
    }
    return value;
  }

  private call(name: string, argOps: readonly Operand[], final: Value | undefined): Value {
    const fn = functionNamed(name);
    if (fn.params) {
      const given = argOps.length + (final === undefined ? 0 : 1);
      if (given !== fn.params.length) throw new TemplateError(`wrong number of args for ${name}: want ${fn.params.length} got ${given}`);
    }
    const params = fn.params ?? [];
    const args = argOps.map((op, i) => this.argument(op, params[i] ?? 'string'));
    if (final !== undefined) args.push(this.convert(final, params[params.length - 1] ?? 'string'));
    try {
      return fn.call(args);
    } catch (err) {
      throw new TemplateError(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** An argument of the given parameter type: constants are checked as Go checks them. */
  private argument(op: Operand, type: ParamType): string | number {
    switch (op.k) {
      case 'string':
        if (type === 'string') return op.value;
        throw new TemplateError(`expected integer; found ${JSON.stringify(op.value)}`);
      case 'number': {
        const { value, isInt } = parseNumber(op.text);
        if (type === 'int' && isInt) return value;
        throw new TemplateError(`expected ${type === 'int' ? 'integer' : 'string'}; found ${op.text}`);
      }
      case 'bool': throw new TemplateError(`expected ${type === 'int' ? 'integer' : 'string'}; found ${String(op.value)}`);
      case 'nil': throw new TemplateError(`cannot assign nil to ${type}`);
      default: return this.convert(this.operand(op), type);
    }
  }

  private convert(value: Value, type: ParamType): string | number {
    if (type === 'string' && value.kind === 'string') return value.value;
    if (type === 'int' && value.kind === 'int') return value.value;
    throw new TemplateError(`wrong type for value; expected ${type}; got ${typeName(value)}`);
  }
}

export function execute(nodes: readonly TemplateNode[], data: TemplateData): string {
  return new Execution(data).run(nodes);
}
