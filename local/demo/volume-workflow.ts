// The main job of an EBS CSI driver, step by step, as a container orchestrator drives it:
// create, attach (ControllerPublish), stage + publish (format and mount), snapshot,
// restore, clone, expand, and the way back. Every step that leaves something behind registers
// its undo, so `teardown()` leaves the machine and the emulator as they were, even when
// a step in the middle failed. Used by the demo and by the end-to-end tests.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Topology__Output } from '../../src/generated/csi/v1/Topology.js';
import type { VolumeCapability } from '../../src/generated/csi/v1/VolumeCapability.js';
import type { CsiClients } from '../client/csi-client.js';

export const GIB = 1024 ** 3;

export interface NodeFacts {
  readonly nodeId: string;
  readonly topology: Topology__Output | null;
  readonly maxVolumes: number;
}

export interface VolumeHandle {
  readonly name: string;
  readonly volumeId: string;
  readonly capacityBytes: number;
  readonly volumeContext: Readonly<Record<string, string>>;
  /** The volume this one was cloned from, as CreateVolume's content_source reports it. */
  readonly clonedFrom?: string;
}

export interface Mounted {
  readonly volume: VolumeHandle;
  /** Names the mount's directory under the work directory. */
  readonly label: string;
  readonly stagingPath: string;
  /** Where a pod would see the files. */
  readonly targetPath: string;
}

export interface CreateOptions {
  readonly sizeGiB: number;
  readonly fromSnapshot?: string;
  /** Clone this volume (CSI volume content source). */
  readonly fromVolume?: string;
  readonly parameters?: Readonly<Record<string, string>>;
}

type Undo = { readonly key: string; readonly what: string; readonly run: () => Promise<unknown> };

export class VolumeWorkflow {
  readonly #undo: Undo[] = [];
  readonly #capability: VolumeCapability;

  constructor(
    private readonly csi: Omit<CsiClients, 'close'>,
    /** Plays kubelet's directory: staging and target paths are made under it. */
    private readonly workDir: string,
    fsType = 'ext4',
  ) {
    this.#capability = { mount: { fsType }, accessMode: { mode: 'SINGLE_NODE_WRITER' } };
  }

  async nodeFacts(): Promise<NodeFacts> {
    const info = await this.csi.node.NodeGetInfo({});
    return { nodeId: info.nodeId, topology: info.accessibleTopology, maxVolumes: Number(info.maxVolumesPerNode) };
  }

  async createVolume(name: string, node: NodeFacts, options: CreateOptions): Promise<VolumeHandle> {
    const res = await this.csi.controller.CreateVolume({
      name,
      capacityRange: { requiredBytes: options.sizeGiB * GIB },
      volumeCapabilities: [this.#capability],
      parameters: { type: 'gp3', ...options.parameters },
      ...(node.topology ? { accessibilityRequirements: { requisite: [node.topology], preferred: [node.topology] } } : {}),
      ...(options.fromSnapshot ? { volumeContentSource: { snapshot: { snapshotId: options.fromSnapshot } } } : {}),
      ...(options.fromVolume ? { volumeContentSource: { volume: { volumeId: options.fromVolume } } } : {}),
    });
    const volume = res.volume;
    if (!volume) throw new Error(`CreateVolume for ${name} answered without a volume`);
    const clonedFrom = volume.contentSource?.volume?.volumeId;
    const handle: VolumeHandle = {
      name, volumeId: volume.volumeId, capacityBytes: Number(volume.capacityBytes), volumeContext: volume.volumeContext,
      ...(clonedFrom ? { clonedFrom } : {}),
    };
    this.#remember(`volume:${handle.volumeId}`, `delete volume ${handle.volumeId}`, () => this.csi.controller.DeleteVolume({ volumeId: handle.volumeId }));
    return handle;
  }

  /** ControllerPublishVolume: EC2 attaches the volume to the node; returns the device name EC2 chose. */
  async attach(volume: VolumeHandle, node: NodeFacts): Promise<Record<string, string>> {
    const res = await this.csi.controller.ControllerPublishVolume({
      volumeId: volume.volumeId, nodeId: node.nodeId, volumeCapability: this.#capability, volumeContext: volume.volumeContext,
    });
    this.#remember(`attach:${volume.volumeId}`, `detach ${volume.volumeId}`, () => this.detach(volume, node));
    return res.publishContext;
  }

  /** ControllerUnpublishVolume: EC2 detaches the volume from the node. */
  async detach(volume: VolumeHandle, node: NodeFacts): Promise<void> {
    await this.csi.controller.ControllerUnpublishVolume({ volumeId: volume.volumeId, nodeId: node.nodeId });
    this.#forget(`attach:${volume.volumeId}`);
  }

  /** NodeStageVolume (format if blank, mount at the staging path) then NodePublishVolume (bind into the "pod"). */
  async mount(volume: VolumeHandle, publishContext: Record<string, string>, label: string): Promise<Mounted> {
    const base = join(this.workDir, label);
    const stagingPath = join(base, 'staging');
    const targetPath = join(base, 'pod-volume');
    await mkdir(stagingPath, { recursive: true });
    const common = { volumeId: volume.volumeId, volumeCapability: this.#capability, volumeContext: volume.volumeContext, publishContext };
    await this.csi.node.NodeStageVolume({ ...common, stagingTargetPath: stagingPath });
    const mounted = { volume, label, stagingPath, targetPath };
    this.#remember(`mount:${label}`, `unmount ${volume.volumeId} from ${base}`, () => this.unmount(mounted));
    await this.csi.node.NodePublishVolume({ ...common, stagingTargetPath: stagingPath, targetPath });
    return mounted;
  }

  async unmount(mounted: Mounted): Promise<void> {
    await this.csi.node.NodeUnpublishVolume({ volumeId: mounted.volume.volumeId, targetPath: mounted.targetPath });
    await this.csi.node.NodeUnstageVolume({ volumeId: mounted.volume.volumeId, stagingTargetPath: mounted.stagingPath });
    await rm(join(mounted.stagingPath, '..'), { recursive: true, force: true });
    this.#forget(`mount:${mounted.label}`);
  }

  /** CreateSnapshot, then asks again until the snapshot is ready to use. */
  async snapshot(name: string, volume: VolumeHandle): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.csi.controller.CreateSnapshot({ name, sourceVolumeId: volume.volumeId });
      const snapshot = res.snapshot;
      if (!snapshot) throw new Error(`CreateSnapshot for ${name} answered without a snapshot`);
      if (attempt === 0) {
        const snapshotId = snapshot.snapshotId;
        this.#remember(`snapshot:${snapshotId}`, `delete snapshot ${snapshotId}`, () => this.csi.controller.DeleteSnapshot({ snapshotId }));
      }
      if (snapshot.readyToUse) return snapshot.snapshotId;
      if (attempt > 120) throw new Error(`snapshot ${snapshot.snapshotId} was not ready after 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** ControllerExpandVolume, then NodeExpandVolume when the filesystem must grow too; returns the new size in bytes. */
  async expand(mounted: Mounted, sizeGiB: number): Promise<number> {
    const res = await this.csi.controller.ControllerExpandVolume({
      volumeId: mounted.volume.volumeId, capacityRange: { requiredBytes: sizeGiB * GIB }, volumeCapability: this.#capability,
    });
    if (!res.nodeExpansionRequired) return Number(res.capacityBytes);
    const node = await this.csi.node.NodeExpandVolume({
      volumeId: mounted.volume.volumeId, volumePath: mounted.targetPath, stagingTargetPath: mounted.stagingPath,
      capacityRange: { requiredBytes: sizeGiB * GIB }, volumeCapability: this.#capability,
    });
    return Number(node.capacityBytes) || Number(res.capacityBytes);
  }

  /** Filesystem size and use as the node reports them (NodeGetVolumeStats). */
  async usage(mounted: Mounted): Promise<{ totalBytes: number; usedBytes: number }> {
    const res = await this.csi.node.NodeGetVolumeStats({ volumeId: mounted.volume.volumeId, volumePath: mounted.targetPath });
    const bytes = res.usage.find((u) => u.unit === 'BYTES');
    return { totalBytes: Number(bytes?.total ?? 0), usedBytes: Number(bytes?.used ?? 0) };
  }

  #remember(key: string, what: string, run: () => Promise<unknown>): void {
    this.#forget(key);
    this.#undo.push({ key, what, run });
  }

  #forget(key: string): void {
    const index = this.#undo.findIndex((u) => u.key === key);
    if (index >= 0) this.#undo.splice(index, 1);
  }

  /** Undoes everything still registered, newest first; returns what could not be undone. */
  async teardown(report: (what: string, error?: unknown) => void = () => undefined): Promise<string[]> {
    const failed: string[] = [];
    while (this.#undo.length > 0) {
      const step = this.#undo.pop();
      if (!step) break;
      try {
        await step.run();
        report(step.what);
      } catch (err) {
        failed.push(step.what);
        report(step.what, err);
      }
    }
    return failed;
  }
}
