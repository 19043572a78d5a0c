// The small part of EC2's Query protocol the data plane needs: read the action and its
// parameters from a request (form body or query string), pull an id out of a response,
// and write an error the SDK understands. EC2 responses are flat enough that one element
// per look-up is all we read, so no XML library is needed.

export interface Ec2Request {
  readonly action: string;
  readonly params: URLSearchParams;
}

/** Reads Action and parameters from both the URL and a form-encoded body (the SDK uses the body). */
export function parseEc2Request(url: string, body: Buffer): Ec2Request {
  const params = new URLSearchParams(new URL(url, 'http://local').search);
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params.append(key, value);
  return { action: params.get('Action') ?? '', params };
}

/** The text of the first `<name>` element in an EC2 XML response, if any. */
export function firstElement(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match?.[1];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An EC2-shaped error document, so the driver's SDK raises the same error class real EC2 would cause. */
export function ec2ErrorBody(code: string, message: string): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + `<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors>`
    + '<RequestID>local-data-plane</RequestID></Response>';
}
