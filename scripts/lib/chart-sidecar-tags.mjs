// Prints the image tag the chart pins for each controller sidecar, one "name tag" line each
// (e.g. "provisioner v6.3.0"), read from charts/aws-ebs-csi-driver/values.yaml. The sidecar
// install builds exactly these, so the chart pins what the tests run.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const values = parse(readFileSync(join(root, 'charts/aws-ebs-csi-driver/values.yaml'), 'utf8'));
for (const name of ['provisioner', 'attacher', 'resizer', 'snapshotter']) {
  const tag = values?.sidecars?.[name]?.image?.tag;
  if (typeof tag !== 'string' || !/^v\d+\.\d+\.\d+$/.test(tag)) {
    throw new Error(`values.yaml: sidecars.${name}.image.tag must be a release tag like v1.2.3, got ${JSON.stringify(tag)}`);
  }
  console.log(`${name} ${tag}`);
}
