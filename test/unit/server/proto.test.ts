import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { loadCsiProto, secretFieldsByMethod } from '../../../src/server/proto.js';

const proto = loadCsiProto();

function roundTrip(service: grpc.ServiceDefinition, method: string, value: object): unknown {
  const def = service[method];
  assert.ok(def, `${method} exists`);
  return def.requestDeserialize(def.requestSerialize(value));
}

describe('CSI proto loading', () => {
  it('decodes requests the way the generated types describe them', () => {
    const out = roundTrip(proto.services.Controller.service, 'CreateVolume', {
      name: 'pvc-1', capacityRange: { requiredBytes: 70 * 1024 ** 4 },
      volumeCapabilities: [{ mount: { fsType: 'xfs' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } }],
      parameters: { type: 'gp3' },
    }) as Record<string, unknown>;
    assert.equal(out.name, 'pvc-1');
    // int64 as a plain number: 70 TiB is beyond 32 bits and well within 2^53.
    assert.deepEqual(out.capacityRange, { requiredBytes: 70 * 1024 ** 4, limitBytes: 0 });
    const cap = (out.volumeCapabilities as Record<string, unknown>[])[0];
    assert.equal(cap?.accessType, 'mount', 'oneof names its present field');
    assert.deepEqual(cap?.accessMode, { mode: 'SINGLE_NODE_WRITER' }, 'enums as strings');
    assert.deepEqual(out.parameters, { type: 'gp3' });
    assert.deepEqual(out.secrets, {}, 'absent maps default to empty objects');
    assert.equal(out.volumeContentSource, null, 'absent messages are null');
  });

  it('serves every RPC of the three services under its gRPC path', () => {
    assert.equal(proto.services.Node.service.NodeStageVolume?.path, '/csi.v1.Node/NodeStageVolume');
    assert.equal(Object.keys(proto.services.Controller.service).length, 15);
    assert.equal(Object.keys(proto.services.Identity.service).length, 3);
  });

  it('finds the csi_secret fields from the proto options', () => {
    const secrets = secretFieldsByMethod(proto.services.Node.service, proto.secretFields);
    assert.deepEqual(secrets.get('NodeStageVolume'), ['secrets']);
    assert.equal(secrets.get('NodeGetInfo'), undefined);
    const controller = secretFieldsByMethod(proto.services.Controller.service, proto.secretFields);
    for (const m of ['CreateVolume', 'DeleteVolume', 'ControllerPublishVolume', 'CreateSnapshot', 'ListSnapshots']) {
      assert.deepEqual(controller.get(m), ['secrets'], m);
    }
  });
});
