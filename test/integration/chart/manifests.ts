// Typed access to rendered Kubernetes objects: only the fields the chart tests look at.
import { parseAllDocuments } from 'yaml';

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly fieldRef?: { readonly fieldPath: string } };
}

export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly mountPropagation?: string;
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly imagePullPolicy?: string;
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly volumeMounts?: readonly VolumeMount[];
  readonly securityContext?: {
    readonly privileged?: boolean;
    readonly readOnlyRootFilesystem?: boolean;
    readonly allowPrivilegeEscalation?: boolean;
    readonly capabilities?: { readonly drop?: readonly string[] };
  };
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string>>;
    readonly limits?: Readonly<Record<string, string>>;
  };
  readonly livenessProbe?: {
    readonly httpGet?: { readonly path: string; readonly port: string | number };
    readonly exec?: { readonly command: readonly string[] };
  };
  readonly lifecycle?: {
    readonly preStop?: { readonly exec?: { readonly command: readonly string[] } };
  };
}

export interface Volume {
  readonly name: string;
  readonly hostPath?: { readonly path: string; readonly type?: string };
  readonly emptyDir?: Readonly<Record<string, unknown>>;
}

export interface Toleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
}

export interface PodSpec {
  readonly serviceAccountName: string;
  readonly priorityClassName?: string;
  readonly hostNetwork?: boolean;
  readonly dnsPolicy?: string;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly Toleration[];
  readonly imagePullSecrets?: readonly { readonly name: string }[];
  readonly affinity?: {
    readonly podAntiAffinity?: {
      readonly preferredDuringSchedulingIgnoredDuringExecution?: readonly {
        readonly weight: number;
        readonly podAffinityTerm: PodAffinityTerm;
      }[];
      readonly requiredDuringSchedulingIgnoredDuringExecution?: readonly PodAffinityTerm[];
    };
  };
  readonly securityContext?: {
    readonly runAsNonRoot?: boolean;
    readonly runAsUser?: number;
    readonly seccompProfile?: { readonly type: string };
  };
  readonly containers: readonly Container[];
  readonly volumes?: readonly Volume[];
}

export interface PodAffinityTerm {
  readonly topologyKey: string;
  readonly labelSelector: { readonly matchLabels: Readonly<Record<string, string>> };
}

export interface Workload extends K8sObject {
  readonly spec: {
    readonly replicas?: number;
    readonly selector: { readonly matchLabels: Readonly<Record<string, string>> };
    readonly strategy?: Readonly<Record<string, unknown>>;
    readonly updateStrategy?: {
      readonly type: string;
      readonly rollingUpdate?: { readonly maxUnavailable?: string | number };
    };
    readonly template: {
      readonly metadata: { readonly labels: Readonly<Record<string, string>> };
      readonly spec: PodSpec;
    };
  };
}

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

export interface Role extends K8sObject {
  readonly rules: readonly PolicyRule[];
}

export interface RoleBinding extends K8sObject {
  readonly roleRef: { readonly kind: string; readonly name: string };
  readonly subjects: readonly { readonly kind: string; readonly name: string; readonly namespace?: string }[];
}

function isK8sObject(value: unknown): value is K8sObject {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  const meta = o.metadata as Record<string, unknown> | undefined;
  return typeof o.apiVersion === 'string' && typeof o.kind === 'string' && typeof meta?.name === 'string';
}

/** Parses helm's multi-document output; empty documents are skipped, anything else malformed throws. */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message ?? ''}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isK8sObject(value)) throw new Error(`rendered document is not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
    objects.push(value);
  }
  return objects;
}

export function ofKind<T extends K8sObject = K8sObject>(objects: readonly K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

/** The one object of this kind (and name); throws listing what was rendered when it is absent. */
export function find<T extends K8sObject = K8sObject>(objects: readonly K8sObject[], kind: string, name?: string): T {
  const matches = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (matches.length !== 1) {
    const seen = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
    throw new Error(`expected one ${kind}${name ? `/${name}` : ''}, found ${matches.length}; rendered: ${seen}`);
  }
  return matches[0] as T;
}

export function container(workload: Workload, name: string): Container {
  const found = workload.spec.template.spec.containers.find((c) => c.name === name);
  if (!found) {
    const names = workload.spec.template.spec.containers.map((c) => c.name).join(', ');
    throw new Error(`${workload.kind}/${workload.metadata.name} has no container ${name} (has ${names})`);
  }
  return found;
}

export function containerNames(workload: Workload): string[] {
  return workload.spec.template.spec.containers.map((c) => c.name);
}

/** Value of --flag=value in an argument list, or true for a bare --flag, or undefined. */
export function flag(args: readonly string[] | undefined, name: string): string | true | undefined {
  for (const arg of args ?? []) {
    if (arg === `--${name}`) return true;
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

export function volume(workload: Workload, name: string): Volume {
  const found = workload.spec.template.spec.volumes?.find((v) => v.name === name);
  if (!found) throw new Error(`${workload.kind}/${workload.metadata.name} has no volume ${name}`);
  return found;
}

export function mount(c: Container, volumeName: string): VolumeMount {
  const found = c.volumeMounts?.find((m) => m.name === volumeName);
  if (!found) throw new Error(`container ${c.name} does not mount ${volumeName}`);
  return found;
}

/** Verbs a role grants on group/resource (union over its rules). */
export function verbs(role: Role, group: string, resource: string): string[] {
  const granted = new Set<string>();
  for (const rule of role.rules) {
    if (rule.apiGroups.includes(group) && rule.resources.includes(resource)) rule.verbs.forEach((v) => granted.add(v));
  }
  return [...granted].sort();
}

/** "group/resource" for every resource a role names, e.g. "storage.k8s.io/csinodes" or "/nodes". */
export function grantedResources(role: Role): string[] {
  return [...new Set(role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`))))].sort();
}
