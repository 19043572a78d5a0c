// A typed, promise-based CSI client over a driver's UNIX socket, built from the same
// generated types and proto loading as the server: `controller.CreateVolume(req)` and so on.
// The demo, the end-to-end tests and the test harness all talk to the driver through it.
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

const DEFAULT_TIMEOUT_MS = 120_000;

function promisify<C>(client: grpc.Client, definition: grpc.ServiceDefinition): PromiseClient<C> {
  const out: Record<string, (req: unknown, timeoutMs?: number) => Promise<unknown>> = {};
  for (const name of Object.keys(definition)) {
    const fn = (client as unknown as Record<string, CallbackMethod>)[name]?.bind(client);
    if (!fn) continue;
    out[name] = (req, timeoutMs = DEFAULT_TIMEOUT_MS) => new Promise((resolve, reject) => {
      fn(req, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }
  return out as PromiseClient<C>;
}

/** Connects to a driver's endpoint: unix:///path/csi.sock or a bare /path/csi.sock. */
export function connectCsi(endpoint: string): CsiClients {
  const { services } = loadCsiProto();
  const address = endpoint.startsWith('unix://') ? endpoint : `unix://${endpoint}`;
  const creds = grpc.credentials.createInsecure();
  const identity = new services.Identity(address, creds);
  const controller = new services.Controller(address, creds);
  const node = new services.Node(address, creds);
  return {
    identity: promisify<IdentityClient>(identity, services.Identity.service),
    controller: promisify<ControllerClient>(controller, services.Controller.service),
    node: promisify<NodeClient>(node, services.Node.service),
    close: () => { identity.close(); controller.close(); node.close(); },
  };
}
