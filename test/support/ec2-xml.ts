// Small, depth-aware edits of EC2 query-protocol XML answers (what moto and EC2 send): read
// or replace a direct child's text, rewrite the <item>s of a list. Enough for the bench
// proxy's state timing (ec2-timing.ts); not a general XML parser (no CDATA, no comments,
// which EC2 answers never hold).

const TAG_SOURCE = String.raw`<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>`;

interface Element {
  /** Where the start tag begins. */
  readonly start: number;
  /** Just after the start tag. */
  readonly contentStart: number;
  /** Where the end tag begins (= contentStart for a self-closing tag). */
  readonly contentEnd: number;
  /** Just after the end tag. */
  readonly end: number;
}

/** Direct children of the XML fragment `xml[from, to)`, with their names. */
function children(xml: string, from: number, to: number): { name: string; element: Element }[] {
  const out: { name: string; element: Element }[] = [];
  let depth = 0;
  let open: { name: string; start: number; contentStart: number } | undefined;
  const tag = new RegExp(TAG_SOURCE, 'g');
  tag.lastIndex = from;
  for (let m = tag.exec(xml); m !== null && m.index < to; m = tag.exec(xml)) {
    const [whole, closing, name = '', selfClosing] = m;
    if (closing === '/') {
      depth -= 1;
      if (depth === 0 && open) {
        out.push({ name: open.name, element: { start: open.start, contentStart: open.contentStart, contentEnd: m.index, end: m.index + whole.length } });
        open = undefined;
      }
    } else if (selfClosing === '/') {
      if (depth === 0) {
        const end = m.index + whole.length;
        out.push({ name, element: { start: m.index, contentStart: end, contentEnd: end, end } });
      }
    } else {
      if (depth === 0) open = { name, start: m.index, contentStart: m.index + whole.length };
      depth += 1;
    }
  }
  return out;
}

/** The outermost element of an XML fragment (e.g. one <item>…</item>), skipping a declaration. */
function root(xml: string): Element | undefined {
  const start = xml.search(/<[A-Za-z_]/);
  return start < 0 ? undefined : children(xml, start, xml.length)[0]?.element;
}

/** Text of the first direct child `name` of the fragment's root element. */
export function childText(xml: string, name: string): string | undefined {
  const top = root(xml);
  if (!top) return undefined;
  const child = children(xml, top.contentStart, top.contentEnd).find((c) => c.name === name);
  return child ? xml.slice(child.element.contentStart, child.element.contentEnd) : undefined;
}

/** The fragment with the text of its root's direct child `name` set (the child is added when missing). */
export function withChildText(xml: string, name: string, text: string): string {
  const top = root(xml);
  if (!top) return xml;
  const child = children(xml, top.contentStart, top.contentEnd).find((c) => c.name === name);
  const element = `<${name}>${text}</${name}>`;
  if (!child) return xml.slice(0, top.contentEnd) + element + xml.slice(top.contentEnd);
  return xml.slice(0, child.element.start) + element + xml.slice(child.element.end);
}

/**
 * Rewrites the <item>s of the first list element `listName` found at any depth below the root
 * (e.g. volumeSet in a DescribeVolumes answer, attachmentSet in one volume item). `edit`
 * returns the new items for one item (none drops it); `extra` adds items at the end. A missing
 * list is created as a direct child of the root when there is something to add.
 */
export function editList(xml: string, listName: string, edit: (item: string) => string[], extra: readonly string[] = []): string {
  const top = root(xml);
  if (!top) return xml;
  const list = findFirst(xml, top, listName);
  if (!list) {
    if (extra.length === 0) return xml;
    return xml.slice(0, top.contentEnd) + `<${listName}>${extra.join('')}</${listName}>` + xml.slice(top.contentEnd);
  }
  const items = children(xml, list.contentStart, list.contentEnd).filter((c) => c.name === 'item');
  const body = [...items.flatMap((c) => edit(xml.slice(c.element.start, c.element.end))), ...extra].join('');
  return xml.slice(0, list.start) + `<${listName}>${body}</${listName}>` + xml.slice(list.end);
}

/** The first element named `name` below `within`, searching breadth-first (shallowest wins). */
function findFirst(xml: string, within: Element, name: string): Element | undefined {
  let level = [within];
  while (level.length > 0) {
    const next: Element[] = [];
    for (const el of level) {
      for (const child of children(xml, el.contentStart, el.contentEnd)) {
        if (child.name === name) return child.element;
        next.push(child.element);
      }
    }
    level = next;
  }
  return undefined;
}

/** Escapes text for an XML element body. */
export const xmlText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
