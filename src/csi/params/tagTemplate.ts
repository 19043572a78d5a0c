// Tag specifications ("key=value") with `{{ .Variable }}` placeholders, as StorageClass and
// VolumeSnapshotClass parameters write them. Only plain variable references are offered:
// a template language inside a tag value is more surface than users need.
import { invalidArgument } from '../../errors.js';
import { checkUserTag } from '../../tags.js';

const PLACEHOLDER = /\{\{(.*?)\}\}/g;
const VARIABLE = /^\s*\.([A-Za-z][A-Za-z0-9]*)\s*$/;

/** Replaces each `{{ .Name }}` with vars[Name]; `what` names the parameter in errors. */
export function evaluateTemplate(text: string, vars: Readonly<Record<string, string>>, what: string): string {
  const allowed = Object.keys(vars).map((v) => `{{ .${v} }}`).join(', ');
  const out = text.replace(PLACEHOLDER, (_whole, inner: string) => {
    const name = VARIABLE.exec(inner)?.[1];
    if (name === undefined) throw invalidArgument(`${what}: "{{${inner}}}" is not a supported template; use one of ${allowed}`);
    const value = vars[name];
    if (value === undefined) throw invalidArgument(`${what}: unknown template variable .${name}; use one of ${allowed}`);
    return value;
  });
  // A brace pair left once the placeholders are gone is an unbalanced one, which would
  // otherwise end up in the tag verbatim.
  const rest = text.replace(PLACEHOLDER, '');
  if (rest.includes('{{') || rest.includes('}}')) throw invalidArgument(`${what}: unbalanced "{{" or "}}" in "${text}"`);
  return out;
}

/**
 * Parses one tag specification "key=value" (the first "=" separates them), fills in the
 * templates and checks the key against the driver's reserved keys.
 */
export function parseTagSpecification(
  text: string, vars: Readonly<Record<string, string>>, what: string,
): readonly [key: string, value: string] {
  const eq = text.indexOf('=');
  if (eq < 0) throw invalidArgument(`${what}: "${text}" is not of the form key=value`);
  const key = evaluateTemplate(text.slice(0, eq).trim(), vars, what);
  const value = evaluateTemplate(text.slice(eq + 1).trim(), vars, what);
  try {
    checkUserTag(key, value, what);
  } catch (err) {
    throw invalidArgument(err instanceof Error ? err.message : String(err));
  }
  return [key, value];
}
