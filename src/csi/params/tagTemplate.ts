// Tag specifications ("key=value") as StorageClass, VolumeSnapshotClass and
// VolumeAttributesClass parameters write them, and the operator's --extra-tags: the value
// (and, as an extension, the key) is a template in the reference driver's language
// (src/template). A bad template or a reserved key fails the request with INVALID_ARGUMENT
// naming the parameter, or, under --warn-on-invalid-tag, leaves that one tag out and logs why.
import { invalidArgument } from '../../errors.js';
import { checkUserTag } from '../../tags.js';
import { isPlainText, renderTemplate, templateProblem, type TemplateData } from '../../template/index.js';

export interface TagPolicy {
  /** --warn-on-invalid-tag: skip an invalid tag with a warning instead of failing. */
  readonly warnOnly: boolean;
  /** Where skipped tags are reported (the request's logger). */
  readonly warn: (fields: Readonly<Record<string, string>>, message: string) => void;
}

/** Every invalid tag fails the request. */
export const STRICT_TAGS: TagPolicy = { warnOnly: false, warn: () => undefined };

function render(text: string, data: TemplateData, what: string): string {
  if (isPlainText(text)) return text;
  try {
    return renderTemplate(text, data);
  } catch (err) {
    throw invalidArgument(`${what}: template ${JSON.stringify(text)} is invalid: ${templateProblem(err)}`);
  }
}

/**
 * Renders and checks one tag; undefined when it is left out under --warn-on-invalid-tag.
 * A specification without "=" always fails, as in the reference: there is no tag to skip.
 */
export function renderTag(key: string, value: string, data: TemplateData, what: string, policy: TagPolicy): readonly [string, string] | undefined {
  try {
    const renderedKey = render(key, data, what);
    const renderedValue = render(value, data, what);
    try {
      checkUserTag(renderedKey, renderedValue, what);
    } catch (err) {
      throw invalidArgument(err instanceof Error ? err.message : String(err));
    }
    return [renderedKey, renderedValue];
  } catch (err) {
    if (!policy.warnOnly) throw err;
    policy.warn({ parameter: what, key, value }, `leaving out an invalid tag (--warn-on-invalid-tag): ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** Splits "key=value" at the first "=" (both sides trimmed) and renders it. */
export function renderTagSpecification(text: string, data: TemplateData, what: string, policy: TagPolicy = STRICT_TAGS): readonly [string, string] | undefined {
  const eq = text.indexOf('=');
  if (eq < 0) throw invalidArgument(`${what}: "${text}" is not of the form key=value`);
  return renderTag(text.slice(0, eq).trim(), text.slice(eq + 1).trim(), data, what, policy);
}

/**
 * tagSpecification_N parameters → tags, in N order; two parameters setting one key are refused
 * (which would win is a guess). `prefix` names where the parameters came from ("parameters").
 */
export function renderTagSpecifications(
  specs: readonly [string, string][], data: TemplateData, policy: TagPolicy = STRICT_TAGS, prefix?: string,
): Record<string, string> {
  const tags: Record<string, string> = {};
  const setBy = new Map<string, string>();
  const ordered = [...specs].sort((a, b) => numberOf(a[0]) - numberOf(b[0]));
  for (const [param, text] of ordered) {
    const what = prefix ? `${prefix}.${param}` : param;
    const tag = renderTagSpecification(text, data, what, policy);
    if (!tag) continue;
    const [key, value] = tag;
    const earlier = setBy.get(key);
    if (earlier !== undefined) throw invalidArgument(`${earlier} and ${what} both set tag "${key}"`);
    setBy.set(key, what);
    tags[key] = value;
  }
  return tags;
}

const numberOf = (param: string): number => Number(param.slice(param.lastIndexOf('_') + 1));

/** The operator's tags (--extra-tags, --extra-volume-tags) rendered for one resource. */
export function renderOperatorTags(
  tags: Readonly<Record<string, string>>, data: TemplateData, flag: string, policy: TagPolicy,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) {
    const tag = renderTag(key, value, data, `${flag} ${key}`, policy);
    if (tag) out[tag[0]] = tag[1];
  }
  return out;
}
