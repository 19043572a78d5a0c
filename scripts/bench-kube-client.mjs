// What a Kubernetes client costs the node plugin: idle RSS of the node plugin as built, next to
// the same plugin with @kubernetes/client-node loaded and used the way the taint watcher would
// (kubeconfig, CoreV1 and StorageV1 clients, a Watch, two requests). Runs the way `npm run bench`
// measures idle RSS: the image's node flags and environment (from the Dockerfile), a local IMDSv2
// in front of moto, RSS read after a quiet spell. With BENCH_KUBECONFIG (and a Node "bench-node"
// carrying the start-up taint there) it also measures the plugin with its own taint watcher live.
//
//   npm run build && NODE24=/path/to/node24 node scripts/bench-kube-client.mjs
//
// Not part of npm test: it installs @kubernetes/client-node into a temporary folder (the driver
// does not depend on it) and takes a few minutes.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const NODE = process.env.NODE24 ?? process.execPath;
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 45);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CLIENT_VERSION = '2.0.1';

const { startMoto } = await import(join(root, 'dist/test/support/moto.js'));
const { startImds } = await import(join(root, 'dist/local/imds/index.js'));
const { imageRuntime } = await import(join(root, 'dist/test/support/image-runtime.js'));
const { memoryOf } = await import(join(root, 'dist/test/bench/stats.js'));
const { build } = await import('esbuild');

// The variant bundle: the client library, then the driver's own entry point.
const scratch = mkdtempSync(join(tmpdir(), 'kube-client-bench-'));
const variantDir = join(root, 'dist/bundle-kube-client-node');
try {
  writeFileSync(join(scratch, 'package.json'), '{"private":true,"type":"module"}');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `@kubernetes/client-node@${CLIENT_VERSION}`], { cwd: scratch, stdio: 'inherit' });
  writeFileSync(join(scratch, 'entry.mjs'), `
import * as k8s from '@kubernetes/client-node';
const kc = new k8s.KubeConfig();
kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:9' }], users: [{ name: 'u', token: 'x' }],
  contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
const core = kc.makeApiClient(k8s.CoreV1Api);
const storage = kc.makeApiClient(k8s.StorageV1Api);
globalThis.__kubeClients = [core, storage, new k8s.Watch(kc)];
core.readNode({ name: 'n' }).catch(() => {});
storage.readCSINode({ name: 'n' }).catch(() => {});
await import(${JSON.stringify(join(root, 'dist/src/main.js'))});
`);
  // The same settings as scripts/bundle.mjs, so the two bundles differ only by the library.
  await build({
    entryPoints: [join(scratch, 'entry.mjs')], outExtension: { '.js': '.mjs' }, entryNames: 'ebs-csi-driver',
    outdir: variantDir, bundle: true, splitting: true, chunkNames: 'chunks/[name]-[hash]', platform: 'node',
    format: 'esm', target: 'node20', mainFields: ['module', 'main'], nodePaths: [join(root, 'node_modules')],
    banner: { js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });

  const plain = join(root, 'dist/bundle/ebs-csi-driver.mjs');
  const runs = {
    'node plugin as built': { bundle: plain, args: [], env: {} },
    [`+ @kubernetes/client-node ${CLIENT_VERSION}`]: { bundle: join(variantDir, 'ebs-csi-driver.mjs'), args: [], env: {} },
    ...(process.env.BENCH_KUBECONFIG ? {
      'as built, taint watcher watching': { bundle: plain, args: ['--kubeconfig', process.env.BENCH_KUBECONFIG], env: { CSI_NODE_NAME: 'bench-node' } },
    } : {}),
  };

  const moto = await startMoto();
  const imds = await startImds({ emulator: moto.endpoint, instanceId: await moto.runInstance('us-east-1a') });
  const image = imageRuntime();
  const env = { ...moto.env, ...image.env, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint, PATH: process.env.PATH ?? '' };
  delete env.AWS_EC2_METADATA_DISABLED;
  const results = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of Object.entries(runs)) {
        const dir = mkdtempSync(join(tmpdir(), 'kube-client-bench-sock-'));
        const socket = join(dir, 'csi.sock');
        const child = spawn(NODE, [...image.nodeArgs, run.bundle, 'node', `--endpoint=unix://${socket}`, ...run.args],
          { env: { ...env, ...run.env }, stdio: ['ignore', 'ignore', 'inherit'] });
        try {
          while (!existsSync(socket)) {
            if (child.exitCode !== null) throw new Error(`${name}: the driver exited with ${child.exitCode}`);
            await new Promise((r) => setTimeout(r, 20));
          }
          await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
          results[name].push(memoryOf(child.pid));
        } finally {
          child.kill('SIGKILL');
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await imds.stop();
    await moto.stop();
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(`\nnode plugin idle RSS after ${IDLE_SECONDS} s, median of ${ROUNDS}, ${execFileSync(NODE, ['--version']).toString().trim()} with ${image.nodeArgs.join(' ')}:`);
  for (const [name, samples] of Object.entries(results)) {
    console.log(`  ${name.padEnd(40)} ${median(samples.map((m) => m.rssMiB)).toFixed(1)} MiB (private ${median(samples.map((m) => m.privateMiB)).toFixed(1)} MiB)`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(variantDir, { recursive: true, force: true });
}
