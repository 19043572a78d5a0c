// Starts the local data plane: clean up what a crashed earlier run left, line the host up
// with the emulator, then serve the EC2 proxy the driver talks to. `stop` removes every
// loop device, link and mount it made; the volume files stay until their volume is deleted.
import type { Server } from 'node:http';
import type { Logger } from '../../src/logger.js';
import { ClientTokenMemory } from './client-token-memory.js';
import { VolumeCopier } from './copy-volumes.js';
import { Ec2Effects } from './ec2-effects.js';
import { EmulatorClient } from './emulator-client.js';
import { LocalHypervisor } from './hypervisor.js';
import { assertLoopback } from './loopback.js';
import { serveProxy } from './proxy.js';
import { SerialQueue } from './serial-queue.js';

export interface DataPlaneOptions {
  /** The EC2 emulator (moto or LocalStack), on a loopback address. */
  readonly upstream: string;
  /** The instance that plays this host. */
  readonly instanceId: string;
  readonly stateDir: string;
  readonly region?: string;
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Attachment slots shared by EBS volumes and network interfaces (Nitro: 28). */
  readonly attachmentSlots?: number;
  /** List only the node's zone in DescribeAvailabilityZones (default true; see single-zone.ts). */
  readonly singleZone?: boolean;
  /** How often to catch changes made without the proxy; 0 turns it off. */
  readonly reconcileIntervalMs?: number;
  readonly devRoot?: string;
  /** Link the requested device name too (/dev/xvdba; default true); see HypervisorOptions. */
  readonly deviceNameLinks?: boolean;
  readonly log: Logger;
}

export interface DataPlane {
  /** Give this to the driver as AWS_ENDPOINT_URL_EC2. */
  readonly endpoint: string;
  readonly hypervisor: LocalHypervisor;
  stop(): Promise<void>;
}

export const NITRO_ATTACHMENT_SLOTS = 28;

export async function startDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  const host = options.host ?? '127.0.0.1';
  assertLoopback(host, 'the data plane address');
  assertLoopback(new URL(options.upstream).hostname, 'the emulator endpoint');
  const log = options.log;
  const emulator = new EmulatorClient(options.upstream, options.region ?? 'us-east-1');
  const hypervisor = new LocalHypervisor({
    stateDir: options.stateDir, log, ...(options.devRoot ? { devRoot: options.devRoot } : {}),
    ...(options.deviceNameLinks === false ? { deviceNameLinks: false } : {}),
  });
  await hypervisor.init();
  await hypervisor.removeAllDevices();

  const instance = await emulator.instance(options.instanceId);
  if (!instance) {
    emulator.destroy();
    throw new Error(`the emulator at ${options.upstream} knows no instance ${options.instanceId}; run the init (localstack/init) first`);
  }
  const effects = new Ec2Effects({
    hypervisor, emulator, instance, log, attachmentSlots: options.attachmentSlots ?? NITRO_ATTACHMENT_SLOTS,
  });
  // EC2's memory of tokens and copies belongs to this emulator world, named by its node instance.
  const tokens = new ClientTokenMemory(options.stateDir, options.instanceId);
  const copier = new VolumeCopier(options.stateDir, options.instanceId, emulator);
  await tokens.load();
  await copier.load();
  const queue = new SerialQueue();
  await queue.run(async () => {
    await effects.forgetUnknown();
    await copier.keepOnly(await emulator.allVolumeIds());
    await effects.reconcile();
  });

  let server: Server;
  try {
    const onlyZone = options.singleZone === false ? undefined : instance.availabilityZone;
    server = await serveProxy({
      upstream: options.upstream, effects, tokens, copier, emulator, queue, log, ...(onlyZone ? { onlyZone } : {}),
    }, host, options.port ?? 0);
  } catch (err) {
    await hypervisor.removeAllDevices();
    emulator.destroy();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const interval = options.reconcileIntervalMs ?? 2000;
  let reconciling = false;
  const timer = interval > 0 ? setInterval(() => {
    if (reconciling) return;
    reconciling = true;
    queue.run(() => effects.reconcile())
      .catch((err: unknown) => log.warn({ error: err instanceof Error ? err.message : String(err) }, 'reconcile with the emulator failed'))
      .finally(() => { reconciling = false; });
  }, interval) : undefined;
  timer?.unref();

  log.info({ endpoint: `http://${host}:${port}`, upstream: options.upstream, instanceId: options.instanceId, stateDir: options.stateDir },
    'local data plane ready');
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${port}`,
    hypervisor,
    stop() {
      stopped ??= (async () => {
        if (timer) clearInterval(timer);
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        // Wait for a change in progress, then take every device away.
        await queue.run(() => hypervisor.removeAllDevices());
        emulator.destroy();
      })();
      return stopped;
    },
  };
}
