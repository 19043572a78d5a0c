// 100 create → publish → unpublish → delete lifecycles through the controller while EC2
// misbehaves and the controller is SIGKILLed and restarted mid-run. EC2 is moto behind the
// local data plane (which answers repeated ClientTokens and attaches of attached volumes as
// EC2 does, and gives each attach a loop device); an EC2 fault proxy in front of it fails
// 20 % of the calls (RequestLimitExceeded 503, InternalError 500,
// connection reset, a 10 s stall, the response dropped after the emulator acted); the
// clients retry every call the way the CSI sidecars do (same request, backoff, a 15 s
// deadline per attempt). Printed: the figures; asserted: 100 complete, 0 leaked volumes,
// 0 duplicated volumes (one CSIVolumeName, two volumes), 0 attachments left, and the
// driver back after every kill. Leaks and duplicates are counted from what moto created
// through the proxy, not from anything the driver says.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { DescribeInstancesCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { startDataPlane, type DataPlane } from '../../../local/dataplane/index.js';
import { createLogger } from '../../../src/logger.js';
import { connectCsi, type CsiClients } from '../../support/csi-client.js';
import { startDriver, type DriverProcess } from '../../support/driver.js';
import { FAULT_KINDS, startEc2FaultProxy, type FaultProxy } from '../../support/ec2-fault-proxy.js';
import { startMoto, type Emulator } from '../../support/moto.js';
import { unique } from '../../support/names.js';
import { IS_ROOT, NOT_ROOT_REASON } from '../e2e/local-stack.js';

const LIFECYCLES = Number(process.env.FAULT_LIFECYCLES ?? 100);
// The node instance has 28 attachment slots (root volume and network interface take two).
const CONCURRENCY = 20;
const FAULT_RATE = 0.2;
const STALL_MS = 10_000;
const SEED = Number(process.env.FAULT_SEED ?? 20_260_609);
/** What the sidecars use by default for one attempt (external-provisioner/attacher --timeout). */
const ATTEMPT_DEADLINE_MS = 15_000;
const KILL_EVERY_MS: readonly [number, number] = [5_000, 10_000];
/** Lifecycles still under way after this are reported as stuck (a run takes about 3 min). */
const RUN_BUDGET_MS = 8 * 60_000;
const GIB = 1024 ** 3;
const ZONE = 'us-east-1a';
const mountCap = { mount: { fsType: 'ext4', mountFlags: [] }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };

/** Codes a sidecar retries (the request was fine; the plugin or EC2 was not, for now). */
const RETRIED: ReadonlySet<number> = new Set([
  status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.ABORTED, status.CANCELLED, status.INTERNAL, status.UNKNOWN,
  status.RESOURCE_EXHAUSTED, status.FAILED_PRECONDITION,
]);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `call`, or a DEADLINE_EXCEEDED-like failure (after `onLate`) if it has not settled within `ms`. */
function settledBy<T>(call: Promise<T>, ms: number, onLate: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onLate();
      reject(Object.assign(new Error('did not settle'), { code: status.DEADLINE_EXCEEDED, details: `the call did not settle ${ms} ms after it started` }));
    }, ms);
  });
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}

describe('lifecycles under EC2 faults and controller kills', { skip: IS_ROOT ? false : NOT_ROOT_REASON }, () => {
  let moto: Emulator;
  let dataPlane: DataPlane | undefined;
  let proxy: FaultProxy;
  let dir: string;
  let socket: string;
  let env: Record<string, string>;
  let driver: DriverProcess | undefined;
  let node: string;

  before(async () => {
    moto = await startMoto();
    node = await moto.runInstance(ZONE);
    dir = await mkdtemp(join(tmpdir(), 'ebs-fault-'));
    dataPlane = await startDataPlane({
      upstream: moto.endpoint, instanceId: node, stateDir: join(dir, 'dataplane'), reconcileIntervalMs: 0, log: createLogger('json', 'error'),
    });
    proxy = await startEc2FaultProxy({ upstream: dataPlane.endpoint, rate: FAULT_RATE, stallMs: STALL_MS, seed: SEED });
    socket = join(dir, 'csi.sock');
    env = { ...moto.env, AWS_ENDPOINT_URL_EC2: proxy.endpoint };
    driver = await startDriver({ mode: 'controller', env, socket });
  });

  after(async () => {
    await driver?.stop();
    await proxy?.stop();
    await dataPlane?.stop();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`${LIFECYCLES} lifecycles complete with 0 leaked, 0 duplicated volumes and 0 attachments left`, { timeout: 10 * 60_000 }, async () => {
    let clients: CsiClients = connectCsi(socket);
    let unsettled = 0;
    const retriesByCode = new Map<string, number>();
    const started = Date.now();
    /** False once the run is over, or the driver is down for good. */
    let running = true;

    /** What each lifecycle under way is doing, for the report when the run stalls. */
    const underWay = new Map<number, string>();
    let stopReason = '';
    const stop = (why: string): void => {
      if (!running) return;
      running = false;
      stopReason = why;
    };

    /** One CSI call as a sidecar makes it: the same request again after each retryable failure. */
    const asSidecar = async <T>(i: number, what: string, call: () => Promise<T>): Promise<T> => {
      let delay = 200;
      for (let attempt = 1; ; attempt++) {
        underWay.set(i, `${what}, attempt ${attempt}`);
        try {
          // A call settles by its deadline. If the client library ever fails to, count it and go
          // on with a new channel, as a sidecar's context would have cut it off.
          return await settledBy(call(), ATTEMPT_DEADLINE_MS + 10_000, () => {
            unsettled++;
            clients.close();
            clients = connectCsi(socket);
          });
        } catch (err) {
          const e = err as { code?: number; details?: string };
          if (typeof e.code !== 'number' || !RETRIED.has(e.code)) throw new Error(`${what}: ${e.details ?? String(err)} (not a code to retry)`);
          const name = status[e.code] ?? String(e.code);
          retriesByCode.set(name, (retriesByCode.get(name) ?? 0) + 1);
          underWay.set(i, `${what}, attempt ${attempt}: ${name} ${e.details ?? ''}`);
          if (!running) throw new Error(`${what}: stopped (${stopReason}) after ${name} ${e.details ?? ''}`);
          await sleep(delay * (1 + Math.random()));
          delay = Math.min(delay * 2, 3000);
        }
      }
    };

    const lifecycle = async (i: number): Promise<void> => {
      const name = unique(`pvc-fault-${i}`);
      const created = await asSidecar(i, `CreateVolume ${name}`, () => clients.controller.CreateVolume({
        name, capacityRange: { requiredBytes: GIB }, volumeCapabilities: [mountCap], parameters: { type: 'gp3' },
        accessibilityRequirements: { requisite: [{ segments: { 'topology.kubernetes.io/zone': ZONE } }] },
      }, ATTEMPT_DEADLINE_MS));
      const volumeId = created.volume?.volumeId ?? '';
      assert.match(volumeId, /^vol-/);
      await asSidecar(i, `ControllerPublishVolume ${volumeId}`, () => clients.controller.ControllerPublishVolume({
        volumeId, nodeId: node, volumeCapability: mountCap,
      }, ATTEMPT_DEADLINE_MS));
      await asSidecar(i, `ControllerUnpublishVolume ${volumeId}`, () => clients.controller.ControllerUnpublishVolume({ volumeId, nodeId: node }, ATTEMPT_DEADLINE_MS));
      await asSidecar(i, `DeleteVolume ${volumeId}`, () => clients.controller.DeleteVolume({ volumeId }, ATTEMPT_DEADLINE_MS));
    };

    // SIGKILL the controller every 5–10 s and start a new one on the same socket. A start
    // that fails is tried again; three failures in a row mean the driver is down for good.
    const restarts: number[] = [];
    const failedStarts: string[] = [];
    const killer = (async () => {
      while (running) {
        await sleep(KILL_EVERY_MS[0] + Math.random() * (KILL_EVERY_MS[1] - KILL_EVERY_MS[0]));
        if (!running) break;
        await driver?.kill();
        driver = undefined;
        const down = Date.now();
        for (let attempt = 1; driver === undefined; attempt++) {
          try {
            driver = await startDriver({ mode: 'controller', env, socket });
          } catch (err) {
            failedStarts.push(err instanceof Error ? err.message : String(err));
            if (attempt >= 3) {
              stop(`the controller did not come back after 3 starts: ${failedStarts.slice(-1)[0] ?? ''}`);
              return;
            }
          }
        }
        restarts.push(Date.now() - down);
      }
    })();
    // The run's budget: lifecycles still under way then are reported with what they were doing.
    const watchdog = setTimeout(() => stop(`the run's budget of ${RUN_BUDGET_MS / 60_000} min was spent`), RUN_BUDGET_MS);

    let completed = 0;
    let next = 0;
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < LIFECYCLES && running) {
          const i = next++;
          await lifecycle(i).catch((err: unknown) => {
            stop(`lifecycle ${i} failed`);
            throw err;
          });
          underWay.delete(i);
          completed++;
          if (completed % 25 === 0) console.log(`fault suite: ${completed} lifecycles done after ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
      }));
    } catch (err) {
      const stuck = [...underWay].map(([i, step]) => `  lifecycle ${i}: ${step}`).join('\n');
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${completed} completed; under way:\n${stuck}`);
    } finally {
      stop('the run is over');
      clearTimeout(watchdog);
      clients.close();
      await killer;
    }
    const seconds = (Date.now() - started) / 1000;

    // The driver is up and ready after the last kill.
    assert.ok(driver, 'a driver is running');
    const probe = await driver.identity.Probe({}, 5000);
    proxy.setFaulting(false);

    const created = proxy.createdVolumes();
    const existing = (await moto.ec2.send(new DescribeVolumesCommand({}))).Volumes ?? [];
    const leaked = existing.filter((v) => v.VolumeId !== undefined && created.has(v.VolumeId)).map((v) => v.VolumeId ?? '');
    const byName = new Map<string, string[]>();
    for (const [volumeId, name] of created) byName.set(name, [...(byName.get(name) ?? []), volumeId]);
    const duplicated = [...byName].filter(([, ids]) => ids.length > 1).map(([name, ids]) => `${name}: ${ids.join(', ')}`);
    const attachmentsLeft = existing.filter((v) => v.VolumeId !== undefined && created.has(v.VolumeId))
      .flatMap((v) => (v.Attachments ?? []).map((a) => `${v.VolumeId ?? ''} at ${a.InstanceId ?? ''} ${a.Device ?? ''}`));
    const instance = (await moto.ec2.send(new DescribeInstancesCommand({ InstanceIds: [node] }))).Reservations?.[0]?.Instances?.[0];
    const mappingsLeft = (instance?.BlockDeviceMappings ?? []).filter((m) => m.DeviceName !== instance?.RootDeviceName).map((m) => m.DeviceName ?? '');
    // And on the host: no loop device of the data plane is still attached.
    const devicesLeft = dataPlane?.hypervisor.attachedVolumes().map((v) => `${v} (loop device)`) ?? [];

    const stats = proxy.stats();
    const injected = FAULT_KINDS.reduce((n, k) => n + stats.faults[k], 0);
    const retries = [...retriesByCode.values()].reduce((n, c) => n + c, 0);
    const lines = [
      `fault suite: ${LIFECYCLES} create→publish→unpublish→delete lifecycles, ${CONCURRENCY} at a time, in ${seconds.toFixed(1)} s (seed ${SEED})`,
      `  EC2 calls through the fault proxy: ${stats.calls}; faults injected: ${injected} (${((100 * injected) / Math.max(1, stats.calls)).toFixed(1)} %): `
        + FAULT_KINDS.map((k) => `${k} ${stats.faults[k]}`).join(', '),
      `  controller SIGKILLed and restarted ${restarts.length} times; ready again after ${restarts.length > 0 ? `${Math.min(...restarts)}–${Math.max(...restarts)} ms` : '-'}`,
      `  client retries: ${retries} (${[...retriesByCode].map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}); calls that did not settle by their deadline: ${unsettled}`,
      `  completed ${completed}, leaked ${leaked.length}, duplicated ${duplicated.length}, attachments left ${attachmentsLeft.length + mappingsLeft.length + devicesLeft.length}, `
        + `volumes created ${created.size}`,
    ];
    console.log(lines.join('\n'));

    assert.equal(completed, LIFECYCLES);
    assert.deepEqual(leaked, [], 'leaked volumes');
    assert.deepEqual(duplicated, [], 'duplicated volumes (one CSIVolumeName, several volumes)');
    assert.deepEqual([...attachmentsLeft, ...mappingsLeft, ...devicesLeft], [], 'attachments left on the node');
    assert.equal(probe.ready?.value, true, 'the driver is up and ready at the end');
    assert.ok(restarts.length >= 3, `the controller was killed mid-run (${restarts.length} times)`);
    assert.ok(injected > 0.1 * stats.calls, 'faults were injected');
  });
});
