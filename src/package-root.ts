// Finds the driver's package folder (the one holding proto/csi.proto and package.json) by
// walking up from the running module, so the same code works from dist/src/*.js, from the
// single-file bundle in dist/bundle/, and from an installed package.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function find(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'proto', 'csi.proto')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the driver's proto/csi.proto above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export const PACKAGE_ROOT: string = find();
