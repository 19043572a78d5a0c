// Bundles the compiled driver into one ES module (dist/bundle/ebs-csi-driver.mjs), which is
// what the package's bin and the container image run. The point is memory and start-up:
// resolving the AWS SDK's ES build lets esbuild drop the EC2 commands the driver never
// sends; measured with `npm run bench`, this roughly halves start-up time and takes RSS from
// ~155 MiB to ~95 MiB, and node mode (no EC2 SDK loaded at all) far lower. Runtime files (proto/, node_modules for protobufjs' own
// google/*.proto) are still found beside the package, so the bundle runs in place.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/main.js'],
  outExtension: { '.js': '.mjs' },
  entryNames: 'ebs-csi-driver',
  outdir: 'dist/bundle',
  bundle: true,
  // Chunks for the dynamic imports in app.ts: node mode never loads the EC2 SDK.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Prefer the SDK's ES modules (tree-shakable) over its CommonJS build.
  mainFields: ['module', 'main'],
  // Bundled CommonJS dependencies call require(); give the ES module one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
