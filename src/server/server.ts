// The gRPC server on a UNIX socket: binds the services built by main.ts and shuts
// down gracefully (in-flight calls finish) within a bounded time.
import { unlink } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { prepareSocket, socketPathOf } from './endpoint.js';

export interface ServiceBinding {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

export class CsiServer {
  readonly #server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  #socketPath = '';

  constructor(bindings: readonly ServiceBinding[]) {
    for (const b of bindings) this.#server.addService(b.definition, b.implementation);
  }

  async listen(endpoint: string): Promise<string> {
    this.#socketPath = socketPathOf(endpoint);
    await prepareSocket(this.#socketPath);
    await new Promise<void>((resolve, reject) => {
      this.#server.bindAsync(`unix://${this.#socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => {
        if (err) reject(err); else resolve();
      });
    });
    return this.#socketPath;
  }

  /** Lets running calls finish for up to graceMs, then cuts the rest. */
  async stop(graceMs = 10_000): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.#server.forceShutdown(); resolve(); }, graceMs);
      this.#server.tryShutdown(() => { clearTimeout(timer); resolve(); });
    });
    if (this.#socketPath) await unlink(this.#socketPath).catch(() => undefined);
  }
}
