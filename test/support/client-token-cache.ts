// EC2's ClientToken idempotency, which moto lacks: a request that repeats an action's
// ClientToken gets the answer the first one got instead of acting again (different
// parameters under the same token: IdempotentParameterMismatch, as EC2 answers). Without
// it, a CreateVolume whose response was lost and which the SDK sends again makes a second
// volume on moto but not on EC2, and a fault test would count a duplicate EC2 never makes.
//
// Temporary and separate on purpose: once local/dataplane's EC2 proxy honours client tokens
// (the cloning issue, 13), the fault suite can run through that proxy and drop this file.

export interface UpstreamAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

interface Remembered {
  readonly parameters: string;
  readonly answer: Promise<UpstreamAnswer>;
}

const mismatch = (action: string): UpstreamAnswer => ({
  status: 400,
  contentType: 'text/xml',
  body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>IdempotentParameterMismatch</Code><Message>the client token of this ${action} was used with other parameters</Message></Error></Errors><RequestID>token-cache</RequestID></Response>`),
});

export class ClientTokenCache {
  readonly #remembered = new Map<string, Remembered>();
  #repeats = 0;

  /** How many requests were answered from the cache. */
  get repeats(): number {
    return this.#repeats;
  }

  /** Answers `form` (an EC2 query request) through `forward`, or from the first answer to its token. */
  async answer(form: URLSearchParams, forward: () => Promise<UpstreamAnswer>): Promise<UpstreamAnswer> {
    const token = form.get('ClientToken');
    const action = form.get('Action') ?? '';
    if (!token) return forward();
    const key = `${action}\n${token}`;
    const parameters = [...form.entries()].filter(([k]) => k !== 'ClientToken').map(([k, v]) => `${k}=${v}`).sort().join('&');
    const seen = this.#remembered.get(key);
    if (seen) {
      this.#repeats++;
      return seen.parameters === parameters ? seen.answer : mismatch(action);
    }
    const answer = forward();
    this.#remembered.set(key, { parameters, answer });
    // EC2 does not hold a token to a request it refused: a retry after an error acts anew.
    const settled = await answer.catch((err: unknown) => { this.#remembered.delete(key); throw err; });
    if (settled.status >= 300) this.#remembered.delete(key);
    return settled;
  }
}
