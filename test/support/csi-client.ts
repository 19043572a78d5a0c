// A typed, promise-based CSI client over the driver's real UNIX socket, built from the
// same generated types as the server, so tests call e.g. `controller.CreateVolume(req)`.
import * as grpc from '@grpc/grpc-js';
import type { ControllerClient } from '../../src/generated/csi/v1/Controller.js';
import type { IdentityClient } from '../../src/generated/csi/v1/Identity.js';
import type { NodeClient } from '../../src/generated/csi/v1/Node.js';
import { loadCsiProto } from '../../src/server/proto.js';

type Last<F> = F extends { (argument: infer Req, callback: grpc.requestCallback<infer Res>): grpc.ClientUnaryCall } ? [Req, Res] : never;

/** The upper-case RPC methods of a generated client, as promise-returning functions. */
export type PromiseClient<C> = {
  [K in keyof C as K extends `${Uppercase<string>}${string}` ? (Last<C[K]> extends never ? never : K) : never]:
    (request: Last<C[K]>[0], timeoutMs?: number) => Promise<Last<C[K]>[1]>;
};

export interface CsiClients {
  readonly identity: PromiseClient<IdentityClient>;
  readonly controller: PromiseClient<ControllerClient>;
  readonly node: PromiseClient<NodeClient>;
  close(): void;
}

type CallbackMethod = (req: unknown, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: unknown) => void) => void;

function promisify<C>(client: grpc.Client, methods: readonly string[]): PromiseClient<C> {
  const out: Record<string, (req: unknown, timeoutMs?: number) => Promise<unknown>> = {};
  for (const m of methods) {
    const fn = (client as unknown as Record<string, CallbackMethod>)[m]?.bind(client);
    if (!fn) continue;
    out[m] = (req, timeoutMs = 120_000) => new Promise((resolve, reject) => {
      fn(req, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }
  return out as PromiseClient<C>;
}

export function connectCsi(socketPath: string): CsiClients {
  const { services } = loadCsiProto();
  const address = `unix://${socketPath}`;
  const creds = grpc.credentials.createInsecure();
  const identity = new services.Identity(address, creds);
  const controller = new services.Controller(address, creds);
  const node = new services.Node(address, creds);
  const names = (def: grpc.ServiceDefinition): string[] => Object.keys(def);
  return {
    identity: promisify<IdentityClient>(identity, names(services.Identity.service)),
    controller: promisify<ControllerClient>(controller, names(services.Controller.service)),
    node: promisify<NodeClient>(node, names(services.Node.service)),
    close: () => { identity.close(); controller.close(); node.close(); },
  };
}

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
