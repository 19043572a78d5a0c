// The fields of Kubernetes objects the e2e tests read or write; everything else passes through.

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly deletionTimestamp?: string;
  readonly finalizers?: readonly string[];
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/** The body of an API error answer. */
export interface Status {
  readonly reason?: string;
  readonly message?: string;
  readonly code?: number;
}

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

export interface PersistentVolumeClaim extends KubeObject {
  readonly spec: {
    readonly storageClassName?: string;
    readonly accessModes?: readonly string[];
    readonly volumeMode?: string;
    readonly volumeName?: string;
    readonly volumeAttributesClassName?: string;
    readonly resources: { readonly requests: Readonly<Record<string, string>> };
    readonly dataSource?: { readonly apiGroup?: string; readonly kind: string; readonly name: string };
  };
  readonly status?: {
    readonly phase?: string;
    readonly capacity?: Readonly<Record<string, string>>;
    readonly conditions?: readonly Condition[];
    readonly currentVolumeAttributesClassName?: string;
    readonly modifyVolumeStatus?: { readonly status?: string; readonly targetVolumeAttributesClassName?: string };
  };
}

export interface NodeSelectorTerm {
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] }[];
}

export interface PersistentVolume extends KubeObject {
  readonly spec: {
    readonly capacity?: Readonly<Record<string, string>>;
    readonly persistentVolumeReclaimPolicy?: string;
    readonly storageClassName?: string;
    readonly volumeMode?: string;
    readonly claimRef?: { readonly name?: string; readonly namespace?: string };
    readonly volumeAttributesClassName?: string;
    readonly csi?: {
      readonly driver: string;
      readonly volumeHandle: string;
      readonly fsType?: string;
      readonly volumeAttributes?: Readonly<Record<string, string>>;
    };
    readonly nodeAffinity?: { readonly required?: { readonly nodeSelectorTerms: readonly NodeSelectorTerm[] } };
  };
  readonly status?: { readonly phase?: string };
}

export interface KubeNode extends KubeObject {
  readonly status?: { readonly volumesAttached?: readonly { readonly name: string; readonly devicePath?: string }[] };
}

export interface Pod extends KubeObject {
  readonly spec: { readonly nodeName?: string };
  readonly status?: { readonly phase?: string; readonly conditions?: readonly Condition[] };
}

export interface VolumeAttachment extends KubeObject {
  readonly spec: {
    readonly attacher: string;
    readonly nodeName: string;
    readonly source: { readonly persistentVolumeName?: string };
  };
  readonly status?: {
    readonly attached: boolean;
    readonly attachmentMetadata?: Readonly<Record<string, string>>;
    readonly attachError?: { readonly message?: string };
    readonly detachError?: { readonly message?: string };
  };
}

export interface VolumeSnapshot extends KubeObject {
  readonly status?: {
    readonly readyToUse?: boolean;
    readonly boundVolumeSnapshotContentName?: string;
    readonly restoreSize?: string;
    readonly error?: { readonly message?: string };
  };
}

export interface VolumeSnapshotContent extends KubeObject {
  readonly spec: { readonly deletionPolicy: string; readonly driver: string };
  readonly status?: { readonly snapshotHandle?: string; readonly readyToUse?: boolean };
}

export interface KubeEvent extends KubeObject {
  readonly reason?: string;
  readonly message?: string;
  readonly type?: string;
  readonly involvedObject: { readonly kind?: string; readonly name?: string; readonly namespace?: string; readonly uid?: string };
  readonly source?: { readonly component?: string };
  readonly count?: number;
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly volumeMounts?: readonly { readonly name: string; readonly mountPath: string; readonly mountPropagation?: string }[];
  readonly lifecycle?: { readonly preStop?: { readonly exec?: { readonly command?: readonly string[] } } };
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly fieldRef?: { readonly fieldPath: string };
    readonly secretKeyRef?: { readonly optional?: boolean };
    readonly configMapKeyRef?: { readonly optional?: boolean };
  };
}

export interface Volume {
  readonly name: string;
  readonly emptyDir?: unknown;
  readonly hostPath?: { readonly path: string; readonly type?: string };
}

export interface PodSpec {
  readonly serviceAccountName?: string;
  readonly terminationGracePeriodSeconds?: number;
  readonly containers: readonly Container[];
  readonly volumes?: readonly Volume[];
}

export interface Workload extends KubeObject {
  readonly spec: { readonly template: { readonly spec: PodSpec } };
}

export interface CustomResourceDefinition extends KubeObject {
  readonly status?: { readonly conditions?: readonly Condition[] };
}

/** "1Gi" and the like → bytes (binary and decimal suffixes, as Kubernetes quantities). */
export function quantityBytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(quantity);
  if (!m?.[1]) throw new Error(`not a storage quantity: ${quantity}`);
  const units: Record<string, number> = {
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15,
  };
  return Number(m[1]) * (m[2] ? units[m[2]] ?? 1 : 1);
}
