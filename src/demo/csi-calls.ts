// The CSI calls the demo (and the end-to-end tests) make, as promise-returning functions
// over the driver's UNIX socket. Only the methods used are listed, so any client with the
// same shape (the test harness's typed client, for one) fits.
import * as grpc from '@grpc/grpc-js';
import type { ControllerExpandVolumeRequest } from '../generated/csi/v1/ControllerExpandVolumeRequest.js';
import type { ControllerExpandVolumeResponse__Output } from '../generated/csi/v1/ControllerExpandVolumeResponse.js';
import type { ControllerPublishVolumeRequest } from '../generated/csi/v1/ControllerPublishVolumeRequest.js';
import type { ControllerPublishVolumeResponse__Output } from '../generated/csi/v1/ControllerPublishVolumeResponse.js';
import type { ControllerUnpublishVolumeRequest } from '../generated/csi/v1/ControllerUnpublishVolumeRequest.js';
import type { ControllerUnpublishVolumeResponse__Output } from '../generated/csi/v1/ControllerUnpublishVolumeResponse.js';
import type { CreateSnapshotRequest } from '../generated/csi/v1/CreateSnapshotRequest.js';
import type { CreateSnapshotResponse__Output } from '../generated/csi/v1/CreateSnapshotResponse.js';
import type { CreateVolumeRequest } from '../generated/csi/v1/CreateVolumeRequest.js';
import type { CreateVolumeResponse__Output } from '../generated/csi/v1/CreateVolumeResponse.js';
import type { DeleteSnapshotRequest } from '../generated/csi/v1/DeleteSnapshotRequest.js';
import type { DeleteSnapshotResponse__Output } from '../generated/csi/v1/DeleteSnapshotResponse.js';
import type { DeleteVolumeRequest } from '../generated/csi/v1/DeleteVolumeRequest.js';
import type { DeleteVolumeResponse__Output } from '../generated/csi/v1/DeleteVolumeResponse.js';
import type { NodeExpandVolumeRequest } from '../generated/csi/v1/NodeExpandVolumeRequest.js';
import type { NodeExpandVolumeResponse__Output } from '../generated/csi/v1/NodeExpandVolumeResponse.js';
import type { NodeGetInfoRequest } from '../generated/csi/v1/NodeGetInfoRequest.js';
import type { NodeGetInfoResponse__Output } from '../generated/csi/v1/NodeGetInfoResponse.js';
import type { NodeGetVolumeStatsRequest } from '../generated/csi/v1/NodeGetVolumeStatsRequest.js';
import type { NodeGetVolumeStatsResponse__Output } from '../generated/csi/v1/NodeGetVolumeStatsResponse.js';
import type { NodePublishVolumeRequest } from '../generated/csi/v1/NodePublishVolumeRequest.js';
import type { NodePublishVolumeResponse__Output } from '../generated/csi/v1/NodePublishVolumeResponse.js';
import type { NodeStageVolumeRequest } from '../generated/csi/v1/NodeStageVolumeRequest.js';
import type { NodeStageVolumeResponse__Output } from '../generated/csi/v1/NodeStageVolumeResponse.js';
import type { NodeUnpublishVolumeRequest } from '../generated/csi/v1/NodeUnpublishVolumeRequest.js';
import type { NodeUnpublishVolumeResponse__Output } from '../generated/csi/v1/NodeUnpublishVolumeResponse.js';
import type { NodeUnstageVolumeRequest } from '../generated/csi/v1/NodeUnstageVolumeRequest.js';
import type { NodeUnstageVolumeResponse__Output } from '../generated/csi/v1/NodeUnstageVolumeResponse.js';
import type { ProbeRequest } from '../generated/csi/v1/ProbeRequest.js';
import type { ProbeResponse__Output } from '../generated/csi/v1/ProbeResponse.js';
import { loadCsiProto } from '../server/proto.js';

type Call<Req, Res> = (request: Req) => Promise<Res>;

export interface CsiCalls {
  readonly identity: {
    Probe: Call<ProbeRequest, ProbeResponse__Output>;
  };
  readonly controller: {
    CreateVolume: Call<CreateVolumeRequest, CreateVolumeResponse__Output>;
    DeleteVolume: Call<DeleteVolumeRequest, DeleteVolumeResponse__Output>;
    ControllerPublishVolume: Call<ControllerPublishVolumeRequest, ControllerPublishVolumeResponse__Output>;
    ControllerUnpublishVolume: Call<ControllerUnpublishVolumeRequest, ControllerUnpublishVolumeResponse__Output>;
    CreateSnapshot: Call<CreateSnapshotRequest, CreateSnapshotResponse__Output>;
    DeleteSnapshot: Call<DeleteSnapshotRequest, DeleteSnapshotResponse__Output>;
    ControllerExpandVolume: Call<ControllerExpandVolumeRequest, ControllerExpandVolumeResponse__Output>;
  };
  readonly node: {
    NodeGetInfo: Call<NodeGetInfoRequest, NodeGetInfoResponse__Output>;
    NodeStageVolume: Call<NodeStageVolumeRequest, NodeStageVolumeResponse__Output>;
    NodeUnstageVolume: Call<NodeUnstageVolumeRequest, NodeUnstageVolumeResponse__Output>;
    NodePublishVolume: Call<NodePublishVolumeRequest, NodePublishVolumeResponse__Output>;
    NodeUnpublishVolume: Call<NodeUnpublishVolumeRequest, NodeUnpublishVolumeResponse__Output>;
    NodeExpandVolume: Call<NodeExpandVolumeRequest, NodeExpandVolumeResponse__Output>;
    NodeGetVolumeStats: Call<NodeGetVolumeStatsRequest, NodeGetVolumeStatsResponse__Output>;
  };
}

export interface CsiConnection extends CsiCalls {
  close(): void;
}

type UnaryMethod = (request: unknown, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res?: unknown) => void) => void;

/** Wraps every unary method of a generated client as a promise with a 2-minute deadline. */
function promised<T>(client: grpc.Client, definition: grpc.ServiceDefinition): T {
  const out: Record<string, (request: unknown) => Promise<unknown>> = {};
  for (const name of Object.keys(definition)) {
    const method = (client as unknown as Record<string, UnaryMethod>)[name]?.bind(client);
    if (!method) continue;
    out[name] = (request) => new Promise((resolve, reject) => {
      method(request, { deadline: Date.now() + 120_000 }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }
  return out as T;
}

/** Connects to a driver's endpoint (unix:///path or /path). */
export function connectCsi(endpoint: string): CsiConnection {
  const { services } = loadCsiProto();
  const address = endpoint.startsWith('unix://') ? endpoint : `unix://${endpoint}`;
  const creds = grpc.credentials.createInsecure();
  const identity = new services.Identity(address, creds);
  const controller = new services.Controller(address, creds);
  const node = new services.Node(address, creds);
  return {
    identity: promised(identity, services.Identity.service),
    controller: promised(controller, services.Controller.service),
    node: promised(node, services.Node.service),
    close: () => { identity.close(); controller.close(); node.close(); },
  };
}
