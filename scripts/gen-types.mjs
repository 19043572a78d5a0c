// Generates the TypeScript types of the CSI messages and services from proto/csi.proto
// into src/generated. With --check it generates into a temporary folder instead and
// fails when the committed copy differs, so the types can never drift from the proto.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// fileURLToPath, not .pathname: a clone path with a space would otherwise read as %20.
const root = fileURLToPath(new URL('..', import.meta.url));
const committed = join(root, 'src/generated');
const check = process.argv.includes('--check');
const outDir = check ? mkdtempSync(join(tmpdir(), 'csi-types-')) : committed;

// Keep these options identical to the loader options in src/server/proto.ts.
const bin = join(root, 'node_modules/.bin/proto-loader-gen-types');
execFileSync(bin, [
  '--grpcLib=@grpc/grpc-js', '--longs=Number', '--enums=String', '--defaults', '--oneofs',
  '--importFileExtension=.js', `--outDir=${outDir}`, 'csi.proto', `--includeDirs=${join(root, 'proto')}`,
], { stdio: ['ignore', 'ignore', 'inherit'] });

// The generator records the absolute proto path; make it relative so any checkout matches.
for (const f of readdirSync(outDir, { recursive: true }).map(String)) {
  const file = join(outDir, f);
  if (!statSync(file).isFile()) continue;
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replaceAll(`Original file: ${join(root, 'proto')}/`, 'Original file: proto/'));
}

if (check) {
  const list = (dir) => readdirSync(dir, { recursive: true })
    .map(String).filter((f) => statSync(join(dir, f)).isFile()).sort();
  const want = list(outDir);
  const have = list(committed);
  const differ = [...new Set([...want, ...have])].filter((f) => !want.includes(f) || !have.includes(f)
    || readFileSync(join(outDir, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'));
  rmSync(outDir, { recursive: true, force: true });
  if (differ.length > 0) {
    console.error(`src/generated is out of date with proto/csi.proto (${differ.length} files differ, e.g. ${differ.slice(0, 3).join(', ')}); run: npm run gen:types`);
    process.exit(1);
  }
  console.log(`generated types match proto/csi.proto (${want.length} files)`);
} else {
  console.log(`wrote types to ${relative(root, outDir)}`);
}
