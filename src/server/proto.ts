// Loads proto/csi.proto once and derives from it (a) the gRPC service definitions and
// (b) which fields carry the `csi_secret` option, so redaction follows the spec itself
// instead of a hand-kept list that could miss a field added in a later CSI version.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import type { ProtoGrpcType } from '../generated/csi.js';
import { PACKAGE_ROOT } from '../package-root.js';

const require = createRequire(import.meta.url);
const protoDir = join(PACKAGE_ROOT, 'proto');
const protobufDir = dirname(require.resolve('protobufjs/package.json'));

// Keep identical to the generator flags in scripts/gen-types.mjs.
const loaderOptions: protoLoader.Options = {
  keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true,
};

/** Field paths holding secrets, per message type name (e.g. "csi.v1.NodeStageVolumeRequest"). */
export type SecretFields = ReadonlyMap<string, readonly string[]>;

export interface CsiProto {
  readonly services: ProtoGrpcType['csi']['v1'];
  readonly secretFields: SecretFields;
}

function secretFieldsOf(root: protobuf.Root): SecretFields {
  const out = new Map<string, string[]>();
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Type) {
        const names = child.fieldsArray
          .filter((f) => f.options?.['(csi_secret)'] === true)
          .map((f) => f.name);
        if (names.length > 0) out.set(child.fullName.replace(/^\./, ''), names);
      }
      if (child instanceof protobuf.Namespace) visit(child);
    }
  };
  visit(root);
  return out;
}

export function loadCsiProto(): CsiProto {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => target.startsWith('google/protobuf/')
    ? join(protobufDir, target) : join(protoDir, target);
  root.loadSync('csi.proto', { keepCase: false });
  root.resolveAll();
  const definition = protoLoader.fromJSON(root.toJSON(), loaderOptions);
  const loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  return { services: loaded.csi.v1, secretFields: secretFieldsOf(root) };
}

interface WithRequestType { readonly requestType?: { readonly type?: { readonly name?: string } } }

/** For each RPC of a service, the secret fields of its request message. */
export function secretFieldsByMethod(service: grpc.ServiceDefinition, secrets: SecretFields): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const [method, def] of Object.entries(service)) {
    const typeName = (def as WithRequestType).requestType?.type?.name;
    const fields = typeName ? secrets.get(`csi.v1.${typeName}`) : undefined;
    if (fields) out.set(method, fields);
  }
  return out;
}
