// The local environment assembled in-process for a test file: moto (test/support), one
// instance as the node, the data plane (EC2 proxy + loop devices) and IMDS from src/, and
// the driver binary in `all` mode pointed at both. `stop` takes everything down in order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDataPlane, type DataPlane } from '../../../local/dataplane/index.js';
import { loopsBackedUnder } from '../../../local/dataplane/loop-devices.js';
import { startImds, type RunningImds } from '../../../local/imds/index.js';
import { createLogger } from '../../../src/logger.js';
import { startDriver, type DriverProcess } from '../../support/driver.js';
import { startMoto, type Emulator } from '../../support/moto.js';

export interface LocalStack {
  readonly moto: Emulator;
  readonly instanceId: string;
  readonly dataPlane: DataPlane;
  readonly imds: RunningImds;
  readonly driver: DriverProcess;
  /** Volume files, snapshots and records of the data plane. */
  readonly stateDir: string;
  /** A scratch directory for staging and target paths. */
  readonly workDir: string;
  stop(): Promise<void>;
}

export const IS_ROOT = process.getuid?.() === 0;
export const NOT_ROOT_REASON = 'needs root: the data plane makes loop devices and the driver formats and mounts them';

/**
 * The driver's environment: the emulator through the data plane, identity from the local IMDS,
 * and the data plane's volume directory, whose loop devices are the emulated volumes.
 */
export function driverEnv(moto: Emulator, dataPlane: DataPlane, imds: RunningImds): Record<string, string> {
  const env: Record<string, string> = { ...moto.env };
  // The support harness turns IMDS off for controller-only tests; here the node needs it.
  delete env.AWS_EC2_METADATA_DISABLED;
  return {
    ...env, AWS_ENDPOINT_URL_EC2: dataPlane.endpoint, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
    EBS_LOCAL_VOLUMES_DIR: dataPlane.hypervisor.store.volumesDir,
  };
}

export async function startLocalStack(): Promise<LocalStack> {
  const root = mkdtempSync(join(tmpdir(), 'ebs-local-'));
  const stateDir = join(root, 'dataplane');
  const workDir = join(root, 'kubelet');
  const undo: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<void> => {
    while (undo.length > 0) await undo.pop()?.().catch(() => undefined);
  };
  try {
    const moto = await startMoto();
    undo.push(() => moto.stop());
    const instanceId = await moto.runInstance();
    const dataPlane = await startDataPlane({
      upstream: moto.endpoint, instanceId, stateDir, reconcileIntervalMs: 1000, log: createLogger('json', 'error'),
    });
    undo.push(() => dataPlane.stop());
    const imds = await startImds({ emulator: moto.endpoint, instanceId });
    undo.push(() => imds.stop());
    const driver = await startDriver({ mode: 'all', env: driverEnv(moto, dataPlane, imds) });
    undo.push(() => driver.stop());
    undo.splice(0, 0, () => Promise.resolve(rmSync(root, { recursive: true, force: true })));
    return { moto, instanceId, dataPlane, imds, driver, stateDir, workDir, stop };
  } catch (err) {
    await stop();
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

/** Loop devices still backed by files under the directory (should be none after a stop). */
export async function loopDevicesUnder(dir: string): Promise<string[]> {
  return (await loopsBackedUnder(dir)).map((d) => `${d.name} (${d.backFile})`);
}
