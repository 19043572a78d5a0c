// The few fields of Node, CSINode and VolumeAttachment objects the driver reads, narrowed from
// the API server's JSON. Unknown fields are ignored; a missing field reads as empty.

export interface Taint {
  readonly key: string;
  readonly effect: string;
  readonly value?: string;
}

export interface NodeView {
  readonly name: string;
  readonly resourceVersion: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly providerID: string;
  readonly unschedulable: boolean;
  readonly taints: readonly Taint[];
  /** spec.taints exactly as the server sent them: a JSON-patch "test" must compare those. */
  readonly rawTaints: readonly unknown[];
}

export interface CsiNodeDriver {
  readonly name: string;
  readonly nodeID: string;
  readonly allocatableCount?: number;
}

export interface VolumeAttachmentView {
  readonly name: string;
  readonly attacher: string;
  readonly nodeName: string;
  readonly persistentVolumeName?: string;
}

type Dict = Readonly<Record<string, unknown>>;
const dict = (v: unknown): Dict => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Dict) : {});
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

function stringMap(v: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(dict(v)).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function nodeView(object: unknown): NodeView {
  const metadata = dict(dict(object).metadata);
  const spec = dict(dict(object).spec);
  const rawTaints = list(spec.taints);
  return {
    name: text(metadata.name),
    resourceVersion: text(metadata.resourceVersion),
    labels: stringMap(metadata.labels),
    providerID: text(spec.providerID),
    unschedulable: spec.unschedulable === true,
    rawTaints,
    taints: rawTaints.map((t) => {
      const taint = dict(t);
      return { key: text(taint.key), effect: text(taint.effect), ...(typeof taint.value === 'string' ? { value: taint.value } : {}) };
    }),
  };
}

export function csiNodeDrivers(object: unknown): CsiNodeDriver[] {
  return list(dict(dict(object).spec).drivers).map((d) => {
    const driver = dict(d);
    const count = dict(driver.allocatable).count;
    return { name: text(driver.name), nodeID: text(driver.nodeID), ...(typeof count === 'number' ? { allocatableCount: count } : {}) };
  });
}

export function volumeAttachmentView(object: unknown): VolumeAttachmentView {
  const spec = dict(dict(object).spec);
  const pv = dict(spec.source).persistentVolumeName;
  return {
    name: text(dict(dict(object).metadata).name),
    attacher: text(spec.attacher),
    nodeName: text(spec.nodeName),
    ...(typeof pv === 'string' ? { persistentVolumeName: pv } : {}),
  };
}

/** A LIST answer: its items and the resourceVersion a watch resumes from. */
export function listOf(object: unknown): { items: readonly unknown[]; resourceVersion: string } {
  return { items: list(dict(object).items), resourceVersion: text(dict(dict(object).metadata).resourceVersion) };
}

/** The API path of a cluster-scoped object of the kinds used here. */
export const paths = {
  node: (name: string): string => `/api/v1/nodes/${encodeURIComponent(name)}`,
  nodes: '/api/v1/nodes',
  csiNode: (name: string): string => `/apis/storage.k8s.io/v1/csinodes/${encodeURIComponent(name)}`,
  volumeAttachments: '/apis/storage.k8s.io/v1/volumeattachments',
} as const;
