// Fills Node's compile cache (NODE_COMPILE_CACHE) with V8 code for every module of the bundle,
// so a driver started later skips parsing and compiling them (measured with npm run bench: about
// a tenth of the time to the first Probe). The image build runs it with the ENTRYPOINT's node
// flags, once per user the image runs as: V8 refuses code cached under other flags, and Node
// keeps one cache folder per user id. Importing a chunk runs only its module set-up; the entry
// module itself starts the driver, so it is cached by a `--version` run instead. Node before 22.1
// has no compile cache: there this does nothing.
import * as nodeModule from 'node:module';
import { readdirSync } from 'node:fs';

if (typeof nodeModule.flushCompileCache !== 'function') {
  process.stderr.write(`warm-compile-cache: Node ${process.version} has no compile cache; nothing to do\n`);
  process.exit(0);
}
if (!nodeModule.getCompileCacheDir()) {
  process.stderr.write('warm-compile-cache: NODE_COMPILE_CACHE is not set (or not usable)\n');
  process.exit(1);
}
const chunks = new URL('../dist/bundle/chunks/', import.meta.url);
for (const file of readdirSync(chunks).filter((f) => f.endsWith('.mjs')).sort()) await import(new URL(file, chunks).href);
nodeModule.flushCompileCache();
