// The tag-template language: Go text/template's fields, variables, pipes and literals with
// the functions the reference driver documents. A small interpreter, never eval: a template
// can read the fields it is given and call the listed string functions, nothing else.
import { TemplateError } from './errors.js';
import { execute } from './execute.js';
import type { TemplateData } from './functions.js';
import { lex } from './lexer.js';
import { parse, type TemplateNode } from './parser.js';

export { TemplateError } from './errors.js';
export { SUPPORTED_FUNCTIONS, type TemplateData } from './functions.js';

export interface CompiledTemplate {
  /** Throws TemplateError when execution fails (an unknown field, a wrong argument type...). */
  render(data: TemplateData): string;
}

/** Parses a template; throws TemplateError with the reason when it is malformed. */
export function compileTemplate(text: string): CompiledTemplate {
  const nodes: readonly TemplateNode[] = parse(lex(text));
  return { render: (data) => execute(nodes, data) };
}

/** Parses and runs a template in one go. */
export function renderTemplate(text: string, data: TemplateData): string {
  return compileTemplate(text).render(data);
}

/** True when the text has no action at all, so rendering cannot change it. */
export const isPlainText = (text: string): boolean => !text.includes('{{');

/** The error message of a TemplateError, or rethrows anything else. */
export function templateProblem(err: unknown): string {
  if (err instanceof TemplateError) return err.message;
  throw err;
}

/** Data for StorageClass and VolumeAttributesClass templates (the reference's PVProps). */
export function volumeTemplateData(values: { pvcName?: string; pvcNamespace?: string; pvName?: string }): TemplateData {
  return {
    typeName: 'PVProps',
    fields: [['PVCName', values.pvcName ?? ''], ['PVCNamespace', values.pvcNamespace ?? ''], ['PVName', values.pvName ?? '']],
  };
}

/** Data for VolumeSnapshotClass templates (the reference's VolumeSnapshotProps). */
export function snapshotTemplateData(values: { snapshotName?: string; snapshotNamespace?: string; contentName?: string }): TemplateData {
  return {
    typeName: 'VolumeSnapshotProps',
    fields: [
      ['VolumeSnapshotName', values.snapshotName ?? ''],
      ['VolumeSnapshotNamespace', values.snapshotNamespace ?? ''],
      ['VolumeSnapshotContentName', values.contentName ?? ''],
    ],
  };
}
