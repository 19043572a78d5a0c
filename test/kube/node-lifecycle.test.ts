// The node plugin's part in the node's life, on a real API server (issue 12): the chart's node
// DaemonSet pod run as processes with its rendered arguments and environment, authenticated as
// the chart's node ServiceAccount, so the chart's node ClusterRole is what allows each call.
//  - the start-up taint goes once the driver shows on the CSINode, not before, and only it;
//    put back by a node provisioner, it goes again;
//  - the preStop hook holds the pod while the node drains and a VolumeAttachment of this driver
//    names it, returns within a second of the last one going, at once when the node is not
//    draining, and at its timeout;
//  - the node's identity and attach limit come from the Node object when IMDS does not answer;
//  - the API server grants the node ServiceAccount exactly what that needs.
// One control plane for the whole file; no kubelet: the tests play its part (CSINode writes,
// Node objects) and the chart's hostPath volumes are directories of the test's own.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { KubeClient } from '../support/kube/client.js';
import { applyAll, NAMESPACE, renderChart, type ChartValues, type RenderedChart } from '../support/kube/chart.js';
import { DRIVER_NAME } from '../support/kube/cluster.js';
import { startControlPlane, type ControlPlane } from '../support/kube/control-plane.js';
import { registerOnCsiNode, startNodePlugin, type NodePlugin, type NodePluginOptions } from '../support/kube/node-plugin.js';
import { Supervisor } from '../support/kube/processes.js';
import type { KubeObject } from '../support/kube/types.js';
import { pinnedVersion } from '../support/kube/versions.js';
import { REGION } from '../support/moto.js';

const version = pinnedVersion(37);
const TAINT = 'ebs.csi.aws.com/agent-not-ready';
const ZONE = `${REGION}a`;
const NODE_SA = 'ebs-csi-node-sa';

interface Taint { readonly key: string; readonly value?: string; readonly effect: string; readonly timeAdded?: string }
interface NodeObject extends KubeObject { readonly spec?: { readonly taints?: readonly Taint[]; readonly unschedulable?: boolean } }

/** A made-up instance id per test node (nothing here calls EC2). */
let instances = 0;
const instanceId = (): string => `i-0${(0x1a2b3c4d5e6f70 + (instances += 1)).toString(16).padStart(16, '0')}`;

/** A Node as kubelet and the cloud provider make it on EC2: providerID and the well-known labels. */
async function createNode(admin: KubeClient, options: { name?: string; instanceType?: string; labels?: Record<string, string>; taints?: readonly Taint[]; unschedulable?: boolean } = {}): Promise<{ name: string; instanceId: string }> {
  const id = instanceId();
  const name = options.name ?? id;
  await admin.create({
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': ZONE, 'topology.kubernetes.io/region': REGION,
        ...(options.instanceType ? { 'node.kubernetes.io/instance-type': options.instanceType } : {}),
        ...options.labels,
      },
    },
    spec: { providerID: `aws:///${ZONE}/${id}` },
  } as KubeObject);
  // Admission taints a new Node not-ready (the node lifecycle controller is off here); set exactly the test's.
  await admin.patch({ apiVersion: 'v1', kind: 'Node', name }, { spec: { taints: options.taints ?? null, ...(options.unschedulable ? { unschedulable: true } : {}) } });
  return { name, instanceId: id };
}

const nodeRef = (name: string): { apiVersion: string; kind: string; name: string } => ({ apiVersion: 'v1', kind: 'Node', name });

async function taintsOf(admin: KubeClient, name: string): Promise<readonly Taint[]> {
  return (await admin.get<NodeObject>(nodeRef(name))).spec?.taints ?? [];
}

/** Polls every 50 ms (timings below are measured to that) until `done`; resolves Date.now() then. */
async function pollUntil(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number, context: () => string): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return Date.now();
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const tail = (plugin: { output(): string }, what = 'node plugin'): string => `--- ${what} output (tail) ---\n${plugin.output().slice(-3000)}`;

/** Fails at once, with the plugin's words, when the API server refused it (the node role lacks a rule). */
function notRefused(plugin: NodePlugin): void {
  if (/not allowed|forbidden/i.test(plugin.output())) throw new Error(`the API server refused the node plugin\n${tail(plugin)}`);
}

/**
 * What a pod gets from IMDS with the instance's hop limit at 1: the answer never arrives. A
 * loopback server that accepts and stays silent, so the driver's short IMDS timeouts are tested.
 */
async function silentImds(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

async function createVolumeAttachment(admin: KubeClient, name: string, nodeName: string, attacher = DRIVER_NAME): Promise<void> {
  await admin.create({
    apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment', metadata: { name },
    spec: { attacher, nodeName, source: { persistentVolumeName: `pv-${name}` } },
  } as KubeObject);
}

const vaRef = (name: string): { apiVersion: string; kind: string; name: string } => ({ apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment', name });

describe(`node lifecycle on Kubernetes ${version}, as the chart's node DaemonSet with its ServiceAccount`, () => {
  let supervisor: Supervisor;
  let controlPlane: ControlPlane;
  let admin: KubeClient;
  let imds: Awaited<ReturnType<typeof silentImds>>;
  /**
   * The chart as installed (defaults); with node.metadataSources=kubernetes (the plugins that need
   * no IMDS start without its timeouts); and that with a 7 s grace period.
   */
  let charts: { defaults: RenderedChart; kubernetesSource: RenderedChart; shortGrace: RenderedChart };
  const plugins: NodePlugin[] = [];

  const start = async (chart: RenderedChart, nodeName: string, extra: Partial<NodePluginOptions> = {}): Promise<NodePlugin> => {
    const plugin = await startNodePlugin({
      controlPlane, supervisor, daemonSet: chart.node, nodeName,
      // Every instance's own metadata service, here one that does not answer (set always: the
      // driver must never reach for the real link-local address from a test).
      hostEnv: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint },
      ...extra,
    });
    plugins.push(plugin);
    return plugin;
  };

  before(async () => {
    supervisor = Supervisor.create('ebs-csi-node-lifecycle');
    imds = await silentImds();
    controlPlane = await startControlPlane({ version, supervisor });
    admin = controlPlane.admin;
    // Rendered as `helm install` renders, from what this server says it is.
    const render = (values: ChartValues): Promise<RenderedChart> => renderChart(supervisor.stateDir, version, values, { discoverFrom: controlPlane.adminKubeconfig });
    const defaults = await render({});
    const kubernetesSource = await render({ node: { metadataSources: 'kubernetes' } });
    const shortGrace = await render({ node: { metadataSources: 'kubernetes', terminationGracePeriodSeconds: 7 } });
    charts = { defaults, kubernetesSource, shortGrace };
    // What `helm install` creates (the node ServiceAccount, ClusterRole and binding among it); the
    // DaemonSet itself is what this file runs.
    await applyAll(admin, defaults.applied);
  }, { timeout: 180_000 });

  after(async () => {
    await Promise.all(plugins.map((p) => p.stop()));
    await imds?.close();
    await controlPlane?.stop();
    await supervisor?.stopAll();
  });

  describe('start-up taint', () => {
    let plugin: NodePlugin | undefined;
    let node = '';
    const dedicated: Taint = { key: 'example.com/dedicated', value: 'storage', effect: 'NoSchedule' };

    it('stays while the driver is not on the CSINode (none, or other drivers only), goes within 3 s of it showing there, and only it', { timeout: 60_000 }, async (t) => {
      ({ name: node } = await createNode(admin, { instanceType: 'm5.large', taints: [{ key: TAINT, effect: 'NoExecute' }, dedicated] }));
      plugin = await start(charts.kubernetesSource, node);
      const p = plugin;
      // The plugin serves and has looked: the taint is there and the driver is not registered.
      await pollUntil('the plugin to see the taint and wait for the registration', () => { notRefused(p); return /waiting for kubelet to register the driver/.test(p.output()); }, 15_000, () => tail(p));
      // kubelet starts and writes the CSINode with the drivers registered so far (not ours).
      await registerOnCsiNode(admin, node, { name: 'efs.csi.aws.com', nodeId: 'fs-node', topologyKeys: [] });
      // Two of the plugin's one-second looks at the CSINode later, the taint must still be there.
      await new Promise((r) => setTimeout(r, 2500));
      assert.deepEqual((await taintsOf(admin, node)).map((t) => t.key), [TAINT, dedicated.key], 'the start-up taint stays before the registration');

      const info = await p.csi.node.NodeGetInfo({});
      assert.equal(info.nodeId, /i-[0-9a-f]+/.exec(node)?.[0], 'the plugin is the Node\'s instance');
      const registeredAt = Date.now();
      await registerOnCsiNode(admin, node, {
        name: DRIVER_NAME, nodeId: info.nodeId, topologyKeys: Object.keys(info.accessibleTopology?.segments ?? {}), count: Number(info.maxVolumesPerNode),
      });
      const goneAt = await pollUntil('the start-up taint to go', async () => { notRefused(p); return !(await taintsOf(admin, node)).some((t) => t.key === TAINT); }, 10_000, () => tail(p));
      t.diagnostic(`removed ${goneAt - registeredAt} ms after the registration`);
      assert.ok(goneAt - registeredAt < 3000, `removed ${goneAt - registeredAt} ms after the registration (at most 3 s: the plugin looks at the CSINode every second)`);
      assert.deepEqual(await taintsOf(admin, node), [dedicated], 'the other taint is untouched');
      assert.match(p.output(), /removed the start-up taint: the node plugin is registered and serving/);
    });

    it('put back by a node provisioner (any effect), it goes again within a second; taints added meanwhile stay', { timeout: 30_000 }, async (t) => {
      if (!plugin) throw new Error('the plugin of the previous test did not start');
      const p = plugin;
      const maintenance: Taint = { key: 'example.com/maintenance', effect: 'PreferNoSchedule' };
      const addedAt = Date.now();
      await admin.patch(nodeRef(node), { spec: { taints: [dedicated, { key: TAINT, effect: 'NoSchedule' }, maintenance, { key: TAINT, value: 'true', effect: 'NoExecute' }] } });
      const goneAt = await pollUntil('the re-added start-up taint to go', async () => { notRefused(p); return !(await taintsOf(admin, node)).some((t) => t.key === TAINT); }, 10_000, () => tail(p));
      t.diagnostic(`removed again ${goneAt - addedAt} ms after it came back`);
      assert.ok(goneAt - addedAt < 1000, `removed ${goneAt - addedAt} ms after it came back (the plugin watches the Node)`);
      assert.deepEqual(await taintsOf(admin, node), [dedicated, maintenance]);
      assert.match(p.output(), /the start-up taint came back; removed it again/);
    });
  });

  describe('preStop hook', () => {
    /** A Node, the pod's plugin on it, and VolumeAttachments: two of this driver for the Node, one of another driver for it, one of this driver for another node. */
    async function drainingNode(drain: { taints?: readonly Taint[]; unschedulable?: boolean }, chart: RenderedChart): Promise<{ node: string; plugin: NodePlugin; mine: string[] }> {
      const { name: node } = await createNode(admin, { instanceType: 'm5.large', ...drain });
      const plugin = await start(chart, node);
      const mine = [`${node}-a`, `${node}-b`];
      for (const va of mine) await createVolumeAttachment(admin, va, node);
      await createVolumeAttachment(admin, `${node}-efs`, node, 'efs.csi.aws.com');
      await createVolumeAttachment(admin, `${node}-elsewhere`, 'i-0another-node');
      return { node, plugin, mine };
    }

    const drains: readonly { readonly name: string; readonly drain: { taints?: readonly Taint[]; unschedulable?: boolean } }[] = [
      { name: 'cordoned (kubectl drain)', drain: { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] } },
      { name: 'ToBeDeletedByClusterAutoscaler', drain: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', value: '1735689600', effect: 'NoSchedule' }] } },
      { name: 'karpenter.sh/disrupted', drain: { taints: [{ key: 'karpenter.sh/disrupted', effect: 'NoSchedule' }] } },
    ];
    for (const { name, drain } of drains) {
      it(`${name}: holds while a VolumeAttachment of this driver names the node, returns within a second of the last one's deletion`, { timeout: 60_000 }, async (t) => {
        const { plugin, mine } = await drainingNode(drain, charts.kubernetesSource);
        const hook = plugin.preStop();
        const out = (): string => `${tail(plugin)}\n--- pre-stop hook output ---\n${hook.process.output()}`;
        let exited = false;
        void hook.done.then(() => { exited = true; });
        await pollUntil('the hook to wait for the VolumeAttachments', () => /waiting for VolumeAttachments of this node to go/.test(hook.process.output()) || exited, 15_000, out);
        assert.equal(exited, false, `the hook returned while the node drains with volumes attached:\n${out()}`);
        assert.match(hook.process.output(), new RegExp(`${mine[0]} .*${mine[1]}`), 'it names the VolumeAttachments it waits for (this driver\'s, this node\'s)');
        assert.doesNotMatch(hook.process.output(), /-efs|-elsewhere/);

        await admin.delete(vaRef(mine[0] ?? ''));
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal(exited, false, `the hook returned with ${mine[1]} still attached:\n${out()}`);

        const deletedAt = Date.now();
        await admin.delete(vaRef(mine[1] ?? ''));
        const { code, at } = await hook.done;
        assert.equal(code, 0, out());
        t.diagnostic(`returned ${at - deletedAt} ms after the last VolumeAttachment was deleted`);
        assert.ok(at - deletedAt < 1000, `returned ${at - deletedAt} ms after the last VolumeAttachment was deleted (another driver's and another node's are still there)`);
        assert.match(hook.process.output(), /no VolumeAttachment names this node: the node plugin may stop/);
      });
    }

    it('returns at once when the node is not draining, though a VolumeAttachment names it', { timeout: 30_000 }, async (t) => {
      const { node, plugin } = await drainingNode({ taints: [{ key: 'example.com/dedicated', effect: 'NoSchedule' }] }, charts.kubernetesSource);
      const hook = plugin.preStop();
      const { code, at } = await hook.done;
      assert.equal(code, 0, hook.process.output());
      assert.match(hook.process.output(), /the node is not draining: nothing to wait for/);
      // The whole process: Node's start, one GET, exit.
      t.diagnostic(`the hook process ran ${at - hook.startedAt} ms`);
      assert.ok(at - hook.startedAt < 3000, `took ${at - hook.startedAt} ms`);
      assert.ok(await admin.find(vaRef(`${node}-a`)), 'the VolumeAttachment is still there');
    });

    it('gives up at its timeout, 5 s inside the grace period (node.terminationGracePeriodSeconds=7 → 2 s)', { timeout: 30_000 }, async (t) => {
      const { node, plugin } = await drainingNode({ unschedulable: true }, charts.shortGrace);
      const hook = plugin.preStop();
      const { code, at } = await hook.done;
      const took = at - hook.startedAt;
      assert.equal(code, 0, hook.process.output());
      assert.match(hook.process.output(), /gave up waiting for VolumeAttachments: the pre-stop time is up/);
      t.diagnostic(`the hook process ran ${took} ms`);
      assert.ok(took >= 2000 && took < 5000, `returned after ${took} ms (timeout 2 s, plus the process's start)`);
      assert.ok(await admin.find(vaRef(`${node}-a`)), 'the VolumeAttachment is still there');
    });
  });

  describe('metadata from the Node object', () => {
    it('IMDS does not answer (hop limit 1): instance, zone and limit from the Node\'s providerID and labels, with the chart\'s default sources', { timeout: 60_000 }, async (t) => {
      const { name, instanceId: id } = await createNode(admin, { instanceType: 'm7i.large' });
      const startedAt = Date.now();
      const plugin = await start(charts.defaults, name);
      const info = await plugin.csi.node.NodeGetInfo({});
      assert.equal(info.nodeId, id);
      assert.equal(info.accessibleTopology?.segments['topology.kubernetes.io/zone'], ZONE);
      assert.equal(Number(info.maxVolumesPerNode), 31, 'm7i.large: 32 dedicated EBS slots, less the root volume');
      assert.match(plugin.output(), /instance metadata service unavailable/);
      assert.match(plugin.output(), /identitySource[=":\s]+"?kubernetes/);
      t.diagnostic(`the plugin served ${Date.now() - startedAt} ms after its start, IMDS silent`);
      assert.ok(Date.now() - startedAt < 15_000, `start-up took ${Date.now() - startedAt} ms with IMDS silent`);
    });

    // node.metadataSources=kubernetes: what the Node's labels give, per instance type; HyperPod
    // nodes (never IMDS) also tell their interfaces and launch volumes in labels.
    const table: readonly { readonly type?: string; readonly name?: string; readonly labels?: Record<string, string>; readonly want: number; readonly why: string }[] = [
      { type: 'm5.large', want: 26, why: 'shared 28: EC2\'s 27 with the primary interface, less the root volume' },
      { type: 'm5d.large', want: 25, why: 'one NVMe instance-store disk takes a shared slot' },
      { type: 'm5.metal', want: 30, why: 'shared 32 on bare metal' },
      { type: 'g5.48xlarge', want: 8, why: 'the GPUs take shared slots' },
      { type: 'c7i.48xlarge', want: 127, why: 'dedicated 128' },
      { type: 't2.micro', want: 38, why: 'Xen: 39' },
      { want: 26, why: 'no instance-type label: the common shared limit' },
      {
        type: 'ml.m5d.large', name: `hyperpod-${instanceId()}`, want: 21, why: 'HyperPod: 26 less 2 more interfaces and 2 more launch volumes, from its labels',
        labels: { 'sagemaker.amazonaws.com/num-eni-attachments': '3', 'sagemaker.amazonaws.com/num-block-device-mappings': '2' },
      },
    ];
    it(`the attach limit for a table of instance types and interface counts (${table.length} nodes, node.metadataSources=kubernetes)`, { timeout: 120_000 }, async () => {
      const nodes = await Promise.all(table.map((row) => createNode(admin, {
        ...(row.type ? { instanceType: row.type } : {}), ...(row.name ? { name: row.name } : {}), ...(row.labels ? { labels: row.labels } : {}),
      })));
      // Three at a time: each is a Node process starting on a shared 2-core machine.
      const answers: { nodeId: string; max: number; plugin: NodePlugin }[] = [];
      for (let i = 0; i < nodes.length; i += 3) {
        answers.push(...await Promise.all(nodes.slice(i, i + 3).map(async (n) => {
          const plugin = await start(charts.kubernetesSource, n.name);
          const info = await plugin.csi.node.NodeGetInfo({});
          return { nodeId: info.nodeId, max: Number(info.maxVolumesPerNode), plugin };
        })));
      }
      const wrong = table.map((row, i) => ({ row, node: nodes[i], got: answers[i] }))
        .filter(({ row, node, got }) => got?.max !== row.want || got.nodeId !== node?.instanceId)
        .map(({ row, node, got }) => `${row.type ?? '(no type)'}: got ${got?.max} for ${got?.nodeId}, want ${row.want} for ${node?.instanceId} (${row.why})`);
      assert.deepEqual(wrong, []);
      for (const { plugin } of answers) assert.doesNotMatch(plugin.output(), /instance metadata service unavailable/, 'IMDS was not asked');
    });
  });

  it('the API server grants the node ServiceAccount what the plugin and its hook use, and nothing else', { timeout: 30_000 }, async () => {
    const user = `system:serviceaccount:${NAMESPACE}:${NODE_SA}`;
    const can = async (verb: string, group: string, resource: string): Promise<boolean> => {
      const review = await admin.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        body: {
          apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
          spec: { user, groups: ['system:serviceaccounts', `system:serviceaccounts:${NAMESPACE}`, 'system:authenticated'], resourceAttributes: { verb, group, resource } },
        },
      }) as { status?: { allowed?: boolean } };
      return review.status?.allowed === true;
    };
    const needed = [['get', '', 'nodes'], ['watch', '', 'nodes'], ['patch', '', 'nodes'], ['get', 'storage.k8s.io', 'csinodes'],
      ['list', 'storage.k8s.io', 'volumeattachments'], ['watch', 'storage.k8s.io', 'volumeattachments']] as const;
    const beyond = [['update', '', 'nodes'], ['delete', '', 'nodes'], ['list', '', 'nodes'], ['patch', '', 'nodes/status'], ['list', '', 'pods'],
      ['get', '', 'secrets'], ['update', 'storage.k8s.io', 'csinodes'], ['delete', 'storage.k8s.io', 'volumeattachments'],
      ['patch', 'storage.k8s.io', 'volumeattachments'], ['get', 'storage.k8s.io', 'csidrivers']] as const;
    const missing = [];
    for (const [verb, group, resource] of needed) if (!(await can(verb, group, resource))) missing.push(`${verb} ${resource}`);
    const extra = [];
    for (const [verb, group, resource] of beyond) if (await can(verb, group, resource)) extra.push(`${verb} ${resource}`);
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
  });
});
