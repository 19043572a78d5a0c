// The few edits of EC2 XML answers the data plane makes for actions the emulator lacks or
// answers incompletely: a CopyVolumes answer built from the emulator's CreateVolume answer,
// the SourceVolumeId of copies in DescribeVolumes, and the current state of a volume in an
// answer replayed for a repeated ClientToken. Answers are flat and machine-written, so a
// scan of the element tags (no XML library) finds exactly the element at a path.

const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

interface ElementSpan {
  /** Slash-separated element names from the root, e.g. "DescribeVolumesResponse/volumeSet/item/volumeId". */
  readonly path: string;
  /** Where the element's content starts and ends, and where its closing tag ends. */
  readonly contentStart: number;
  readonly contentEnd: number;
  readonly end: number;
}

/** Every element that has a closing tag, in document order of its end. */
function elements(xml: string): ElementSpan[] {
  const tag = /<(\/?)([A-Za-z][\w.-]*)[^>]*?(\/?)>/g;
  const open: { readonly name: string; readonly contentStart: number }[] = [];
  const out: ElementSpan[] = [];
  for (let m = tag.exec(xml); m !== null; m = tag.exec(xml)) {
    const [whole, closing, name, selfClosing] = m;
    if (selfClosing === '/') continue;
    if (closing !== '/') {
      open.push({ name: name ?? '', contentStart: m.index + whole.length });
      continue;
    }
    const path = open.map((o) => o.name).join('/');
    const top = open.pop();
    if (top) out.push({ path, contentStart: top.contentStart, contentEnd: m.index, end: m.index + whole.length });
  }
  return out;
}

const escapeText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The text of the first element at `path`, if any. */
export function textAt(xml: string, path: string): string | undefined {
  const span = elements(xml).find((e) => e.path === path);
  return span === undefined ? undefined : xml.slice(span.contentStart, span.contentEnd);
}

/** The answer with the text of the first element at `path` replaced (unchanged when there is none). */
export function withTextAt(xml: string, path: string, text: string): string {
  const span = elements(xml).find((e) => e.path === path);
  return span === undefined ? xml : xml.slice(0, span.contentStart) + escapeText(text) + xml.slice(span.contentEnd);
}

/**
 * A CopyVolumes answer for the copy the emulator made as CreateVolume: the volume's fields
 * as an item of volumeSet, plus the SourceVolumeId EC2 reports for a copy.
 */
export function copyVolumesAnswer(createVolumeXml: string, sourceVolumeId: string): string | undefined {
  const root = elements(createVolumeXml).find((e) => e.path === 'CreateVolumeResponse');
  if (root === undefined) return undefined;
  const fields = createVolumeXml.slice(root.contentStart, root.contentEnd).replace(/<requestId>[^<]*<\/requestId>/, '');
  const requestId = textAt(createVolumeXml, 'CreateVolumeResponse/requestId') ?? 'local-data-plane';
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + `<CopyVolumesResponse xmlns="${EC2_NAMESPACE}"><requestId>${escapeText(requestId)}</requestId>`
    + `<volumeSet><item>${fields}<sourceVolumeId>${escapeText(sourceVolumeId)}</sourceVolumeId></item></volumeSet></CopyVolumesResponse>`;
}

/** A DescribeVolumes answer in which every copy the data plane made names its source, as EC2's does. */
export function withSourceVolumeIds(describeXml: string, sourceOf: (volumeId: string) => string | undefined): string {
  const inserts = elements(describeXml)
    .filter((e) => e.path === 'DescribeVolumesResponse/volumeSet/item/volumeId')
    .flatMap((e) => {
      const source = sourceOf(describeXml.slice(e.contentStart, e.contentEnd));
      return source === undefined ? [] : [{ at: e.end, text: `<sourceVolumeId>${escapeText(source)}</sourceVolumeId>` }];
    });
  let out = describeXml;
  for (const { at, text } of inserts.reverse()) out = out.slice(0, at) + text + out.slice(at);
  return out;
}
