// A service bound before its implementation is built. The controller's implementation loads
// the EC2 SDK, most of the driver's start-up time; binding a stand-in lets the socket open (and
// Probe answer) first, and a call that arrives meanwhile waits for the real handler instead of
// getting UNIMPLEMENTED.
import * as grpc from '@grpc/grpc-js';

export function deferredService(
  definition: grpc.ServiceDefinition, implementation: Promise<grpc.UntypedServiceImplementation>,
): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(definition)) {
    const unary: grpc.handleUnaryCall<unknown, unknown> = (call, callback) => {
      implementation.then((impl) => {
        const handler = impl[method] as grpc.handleUnaryCall<unknown, unknown> | undefined;
        if (handler) handler(call, callback);
        else callback({ code: grpc.status.UNIMPLEMENTED, details: `${method} is not implemented` });
      }, (err: unknown) => {
        callback({ code: grpc.status.UNAVAILABLE, details: `the service failed to start: ${err instanceof Error ? err.message : String(err)}` });
      });
    };
    out[method] = unary;
  }
  return out;
}
