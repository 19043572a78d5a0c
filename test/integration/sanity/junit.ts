// Reads the JUnit report Ginkgo writes for csi-sanity: one <testcase> per spec, with a
// status attribute and a <failure>/<skipped> child carrying the message.

export interface JunitCase {
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'skipped' | 'other';
  readonly message: string;
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, '\'')
    .replace(/&#xA;/gi, '\n').replace(/&#x9;/gi, '\t').replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)))
    .replace(/&amp;/g, '&');
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match?.[1] === undefined ? undefined : unescapeXml(match[1]);
}

export function parseJunit(xml: string): JunitCase[] {
  const cases: JunitCase[] = [];
  const testcase = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (let match = testcase.exec(xml); match; match = testcase.exec(xml)) {
    const head = match[1] ?? '';
    const body = match[3] ?? '';
    const name = attribute(head, 'name') ?? '(unnamed)';
    const failure = /<(failure|error)\b([^>]*)>([\s\S]*?)<\/\1>|<(failure|error)\b([^>]*)\/>/.exec(body);
    const skipped = /<skipped\b([^>]*)/.exec(body);
    const declared = attribute(head, 'status');
    let status: JunitCase['status'];
    if (failure || declared === 'failed' || declared === 'panicked' || declared === 'timedout') status = 'failed';
    else if (skipped || declared === 'skipped' || declared === 'pending') status = 'skipped';
    else if (declared === undefined || declared === 'passed') status = 'passed';
    else status = 'other';
    const message = failure
      ? `${attribute(failure[2] ?? failure[5] ?? '', 'message') ?? ''}\n${unescapeXml(failure[3] ?? '')}`.trim()
      : skipped ? attribute(skipped[1] ?? '', 'message') ?? '' : '';
    cases.push({ name, status, message });
  }
  return cases;
}
