// Loads proto/csi.proto once and derives from it (a) the gRPC service definitions and
// (b) which fields carry the `csi_secret` option, so redaction follows the spec itself
// instead of a hand-kept list that could miss a field added in a later CSI version.
// The proto arrives already parsed (src/generated/csi-descriptor.ts, made by gen-types from
// proto/csi.proto): parsing the text took ~60% of this module's start-up time.
//
// The service definitions are built straight from protobufjs' reflection, with the same
// encode/decode calls and conversion options @grpc/proto-loader uses (and that
// scripts/gen-types.mjs generates the TypeScript types for). proto-loader additionally
// builds full descriptor objects no call ever reads, which cost ~60 ms of every start-up.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { CSI_DESCRIPTOR } from '../generated/csi-descriptor.js';
import type { ProtoGrpcType } from '../generated/csi.js';

// Keep identical to the generator flags in scripts/gen-types.mjs.
const conversion: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true };

/** Field names holding secrets, per message type name (e.g. "csi.v1.NodeStageVolumeRequest"). */
export type SecretFields = ReadonlyMap<string, readonly string[]>;

type Services = ProtoGrpcType['csi']['v1'];

export interface CsiProto {
  readonly services: Pick<Services, 'Identity' | 'Controller' | 'Node'>;
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

function serializer(type: protobuf.Type): grpc.serialize<unknown> {
  return (value) => Buffer.from(type.encode(type.fromObject(value as Record<string, unknown>)).finish());
}

function deserializer(type: protobuf.Type): grpc.deserialize<unknown> {
  return (bytes) => type.toObject(type.decode(bytes), conversion);
}

/** Also carries the request type name, which secretFieldsByMethod reads. */
type MethodWithType = grpc.MethodDefinition<unknown, unknown> & { readonly requestTypeName: string };

function serviceDefinition(service: protobuf.Service): grpc.ServiceDefinition {
  const definition: Record<string, MethodWithType> = {};
  const serviceName = service.fullName.replace(/^\./, '');
  for (const method of service.methodsArray) {
    const request = method.resolvedRequestType;
    const response = method.resolvedResponseType;
    if (!request || !response) throw new Error(`csi.proto: ${serviceName}.${method.name} has unresolved types`);
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
      requestTypeName: request.fullName.replace(/^\./, ''),
    };
  }
  return definition;
}

export function loadCsiProto(): CsiProto {
  const root = protobuf.Root.fromJSON(CSI_DESCRIPTOR);
  root.resolveAll();
  const client = (name: 'Identity' | 'Controller' | 'Node'): grpc.ServiceClientConstructor =>
    grpc.makeClientConstructor(serviceDefinition(root.lookupService(`csi.v1.${name}`)), `csi.v1.${name}`);
  // The generated types describe exactly these constructors (same proto, same options).
  const services = { Identity: client('Identity'), Controller: client('Controller'), Node: client('Node') } as unknown as CsiProto['services'];
  return { services, secretFields: secretFieldsOf(root) };
}

/** For each RPC of a service, the secret fields of its request message. */
export function secretFieldsByMethod(service: grpc.ServiceDefinition, secrets: SecretFields): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const [method, def] of Object.entries(service)) {
    const typeName = (def as Partial<MethodWithType>).requestTypeName;
    const fields = typeName ? secrets.get(typeName) : undefined;
    if (fields) out.set(method, fields);
  }
  return out;
}
