// The start-up taint remover against a scripted API: it removes the taint only once the CSINode
// lists the driver, and hands back the Node as its patch left it, so the watch that follows starts
// after the removal (found by the kubelet stage: from the first read, the watch replayed the
// kubelet's status updates, each still tainted, and every one cost a refused patch and a warning).
// A patch refused because the taint went meanwhile is no failure and is not warned about.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { KubeApiError, type KubeApi, type WatchEvent } from '../../../src/kube/client.js';
import { nodeView, paths } from '../../../src/kube/objects.js';
import type { Logger } from '../../../src/logger.js';
import { AGENT_NOT_READY_TAINT, StartupTaintRemover } from '../../../src/lifecycle/startup-taint.js';

const NODE = 'ip-10-0-0-1.ec2.internal';
const DRIVER = 'ebs.csi.aws.com';
const taint = { key: AGENT_NOT_READY_TAINT, effect: 'NoExecute' };
const nodeObject = (resourceVersion: string, taints: readonly unknown[]): unknown => ({ metadata: { name: NODE, resourceVersion }, spec: { taints } });
const csiNode = (registered: boolean): unknown => ({ metadata: { name: NODE }, spec: { drivers: registered ? [{ name: DRIVER, nodeID: 'i-1' }] : [] } });

function capture(): { log: Logger; lines: () => { level: number; msg: string }[] } {
  const out: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _e, done) { out.push(chunk.toString()); done(); } });
  return { log: pino<never>({ level: 'debug' }, stream), lines: () => out.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

/** An API whose Node and CSINode answers are scripted in order (the last one repeats). */
function scriptedApi(script: { nodes: unknown[]; csiNodes: unknown[]; patch: () => unknown }): KubeApi & { patches: unknown[] } {
  const patches: unknown[] = [];
  const next = (list: unknown[]): unknown => (list.length > 1 ? list.shift() : list[0]);
  return {
    patches,
    get: (path) => Promise.resolve(path === paths.node(NODE) ? next(script.nodes) : next(script.csiNodes)),
    patch: (_path, body) => { patches.push(body); return Promise.resolve().then(script.patch); },
    watch: (): AsyncGenerator<WatchEvent> => { throw new Error('the remover does not watch'); },
  };
}

describe('start-up taint removal', () => {
  it('waits for the registration, removes only its taint, and returns the Node as the patch left it', async () => {
    const other = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' };
    const api = scriptedApi({
      nodes: [nodeObject('12', [taint, other])],
      csiNodes: [csiNode(false), csiNode(true)],
      patch: () => nodeObject('13', [other]),
    });
    const { log, lines } = capture();
    const remover = new StartupTaintRemover(api, { client: () => Promise.resolve(api), nodeName: NODE, driverName: DRIVER, log, registrationPollMs: 1 });
    const latest = await remover.handle(nodeView(nodeObject('10', [taint, other])), AbortSignal.timeout(5000));
    assert.equal(latest.resourceVersion, '13', 'the watch that follows starts after the removal');
    assert.deepEqual(api.patches, [[
      { op: 'test', path: '/spec/taints', value: [taint, other] },
      { op: 'replace', path: '/spec/taints', value: [other] },
    ]]);
    assert.equal(lines().filter((l) => l.level >= 40).length, 0, 'no warning');
  });

  it('takes a refused patch for the taint already being gone, without a warning', async () => {
    const api = scriptedApi({
      nodes: [nodeObject('20', [])],
      csiNodes: [csiNode(true)],
      patch: () => { throw new KubeApiError(422, 'Invalid', 'the server rejected our request due to an error in our request'); },
    });
    const { log, lines } = capture();
    const remover = new StartupTaintRemover(api, { client: () => Promise.resolve(api), nodeName: NODE, driverName: DRIVER, log });
    // A watch event from before the removal: still tainted.
    const latest = await remover.handle(nodeView(nodeObject('11', [taint])), AbortSignal.timeout(5000));
    assert.equal(latest.resourceVersion, '20');
    assert.equal(api.patches.length, 1);
    assert.deepEqual(lines().filter((l) => l.level >= 40).map((l) => l.msg), []);
  });
});
