// Test-side helpers around the driver's own CSI client (local/client/csi-client.ts).
import * as grpc from '@grpc/grpc-js';

export { connectCsi, type CsiClients, type PromiseClient } from '../../local/client/csi-client.js';

/** Awaits a call that must fail with `code`; returns the error so the test can check its message. */
export async function expectStatus(call: Promise<unknown>, code: grpc.status, messagePattern?: RegExp): Promise<grpc.ServiceError> {
  try {
    const res = await call;
    throw new Error(`expected ${grpc.status[code]} but the call succeeded with ${JSON.stringify(res)}`);
  } catch (err) {
    const e = err as grpc.ServiceError;
    if (typeof e.code !== 'number') throw err;
    if (e.code !== code) throw new Error(`expected ${grpc.status[code]} but got ${grpc.status[e.code]}: ${e.details}`);
    if (messagePattern && !messagePattern.test(e.details)) {
      throw new Error(`the ${grpc.status[code]} message "${e.details}" does not match ${String(messagePattern)}`);
    }
    return e;
  }
}
