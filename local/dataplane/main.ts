#!/usr/bin/env node
// The local data plane as a program (scripts/local-env.sh starts it):
//   dataplane serve   --upstream URL --instance-id i-… --state-dir DIR [--listen 127.0.0.1:4567]
//   dataplane cleanup --state-dir DIR    removes devices, links and mounts a killed run left
import { parseArgs } from 'node:util';
import { createLogger, type LogFormat } from '../../src/logger.js';
import { LocalHypervisor } from './hypervisor.js';
import { NITRO_ATTACHMENT_SLOTS, startDataPlane } from './index.js';

const USAGE = `Usage:
  dataplane serve --upstream URL --instance-id ID --state-dir DIR [--listen HOST:PORT] [--region R]
                  [--attachment-slots N] [--reconcile-interval-ms MS] [--all-zones] [--logging-format text|json]
  dataplane cleanup --state-dir DIR`;

function fail(message: string): never {
  process.stderr.write(`dataplane: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function wholeNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) fail(`--${name} must be a whole number; got "${value}"`);
  return Number(value);
}

function hostAndPort(listen: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(listen);
  if (!match?.[1] || !match[2]) fail(`--listen must be HOST:PORT; got "${listen}"`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        upstream: { type: 'string' }, 'instance-id': { type: 'string' }, 'state-dir': { type: 'string' },
        listen: { type: 'string' }, region: { type: 'string' }, 'attachment-slots': { type: 'string' },
        'reconcile-interval-ms': { type: 'string' }, 'logging-format': { type: 'string' }, help: { type: 'boolean' },
        'all-zones': { type: 'boolean' },
      },
    });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) { process.stdout.write(`${USAGE}\n`); return; }
  const format = (values['logging-format'] ?? 'text') as LogFormat;
  if (format !== 'text' && format !== 'json') fail(`--logging-format must be text or json; got "${String(format)}"`);
  const log = createLogger(format);
  const stateDir = values['state-dir'] ?? fail('--state-dir is required');
  const command = positionals[0] ?? 'serve';

  if (command === 'cleanup') {
    const hypervisor = new LocalHypervisor({ stateDir, log });
    await hypervisor.init();
    await hypervisor.removeAllDevices();
    return;
  }
  if (command !== 'serve') fail(`unknown command "${command}"`);
  const { host, port } = hostAndPort(values.listen ?? '127.0.0.1:4567');
  const dataPlane = await startDataPlane({
    upstream: values.upstream ?? fail('--upstream is required'),
    instanceId: values['instance-id'] ?? fail('--instance-id is required'),
    stateDir, host, port,
    ...(values.region ? { region: values.region } : {}),
    attachmentSlots: wholeNumber('attachment-slots', values['attachment-slots'], NITRO_ATTACHMENT_SLOTS),
    reconcileIntervalMs: wholeNumber('reconcile-interval-ms', values['reconcile-interval-ms'], 2000),
    // By default the region shows only the node's zone (see single-zone.ts).
    singleZone: values['all-zones'] !== true,
    log,
  });
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info({ signal }, 'data plane stopping: removing every emulated device');
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await dataPlane.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`dataplane: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
