#!/usr/bin/env node
// The local IMDSv2 endpoint as a program (scripts/local-env.sh starts it):
//   imds --emulator URL --instance-id i-… [--listen 127.0.0.1:1338] [--region us-east-1]
import { parseArgs } from 'node:util';
import { startImds } from './index.js';

const USAGE = 'Usage: imds --emulator URL --instance-id ID [--listen HOST:PORT] [--region REGION]';

function fail(message: string): never {
  process.stderr.write(`imds: ${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        emulator: { type: 'string' }, 'instance-id': { type: 'string' }, listen: { type: 'string' },
        region: { type: 'string' }, help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  if (values.help) { process.stdout.write(`${USAGE}\n`); return; }
  const listen = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(values.listen ?? '127.0.0.1:1338');
  if (!listen?.[1] || !listen[2]) fail(`--listen must be HOST:PORT; got "${values.listen}"`);
  const imds = await startImds({
    emulator: values.emulator ?? fail('--emulator is required'),
    instanceId: values['instance-id'] ?? fail('--instance-id is required'),
    host: listen[1].replace(/^\[|\]$/g, ''),
    port: Number(listen[2]),
    ...(values.region ? { region: values.region } : {}),
  });
  process.stdout.write(`imds: serving instance ${imds.facts.instanceId} (${imds.facts.instanceType}, ${imds.facts.availabilityZone}) on ${imds.endpoint}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await imds.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`imds: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
