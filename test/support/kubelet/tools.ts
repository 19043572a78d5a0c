// Where the kubelet tests find what scripts/install put on this machine: containerd, ctr and
// runc from the distribution (container-runtime.sh), the node sidecars built from their source
// archives (csi-node-sidecars.sh), the locally made images (node-images.sh) and the kubelet
// (kubernetes.sh). Each path is checked when asked for, so a missing piece names its script.
import { constants, existsSync, readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../moto.js';

const TOOLS = join(projectRoot, '.tools');

// The versions scripts/install builds (the chart's values.yaml names the same sidecar tags).
export const KUBELET_VERSION = 'v1.37.2';
export const REGISTRAR_VERSION = 'v2.17.0';
export const LIVENESSPROBE_VERSION = 'v2.19.0';

export const SEARCH_PATH = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin']
  .filter((d, i, all) => d.length > 0 && all.indexOf(d) === i).join(':');

/** The first executable `name` on SEARCH_PATH, or undefined. */
export async function which(name: string): Promise<string | undefined> {
  for (const dir of SEARCH_PATH.split(':')) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const toolPaths = {
  kubelet: join(TOOLS, 'kubernetes', KUBELET_VERSION, 'bin', 'kubelet'),
  registrar: join(TOOLS, 'csi-node-driver-registrar', REGISTRAR_VERSION, 'csi-node-driver-registrar'),
  livenessprobe: join(TOOLS, 'livenessprobe', LIVENESSPROBE_VERSION, 'livenessprobe'),
  images: join(TOOLS, 'node-images'),
} as const;

export interface ImageArchive {
  /** The reference containerd files it under, e.g. docker.io/local/busybox:1.35.0. */
  readonly name: string;
  /** The OCI archive `ctr images import` takes. */
  readonly archive: string;
}

export interface TestImages {
  readonly pause: ImageArchive;
  readonly busybox: ImageArchive;
}

interface ImagesFile {
  pause?: { name?: unknown; archive?: unknown };
  busybox?: { name?: unknown; archive?: unknown };
}

function imageEntry(file: ImagesFile, key: keyof ImagesFile): ImageArchive {
  const entry = file[key];
  if (typeof entry?.name !== 'string' || typeof entry.archive !== 'string') {
    throw new Error(`${join(toolPaths.images, 'images.json')} has no ${key} image; rerun scripts/install/node-images.sh`);
  }
  return { name: entry.name, archive: join(toolPaths.images, entry.archive) };
}

/** The images node-images.sh made, or an error naming the script to run. */
export function testImages(): TestImages {
  const index = join(toolPaths.images, 'images.json');
  if (!existsSync(index)) throw new Error(`no test images at ${index}: run scripts/install/node-images.sh`);
  const file = JSON.parse(readFileSync(index, 'utf8')) as ImagesFile;
  return { pause: imageEntry(file, 'pause'), busybox: imageEntry(file, 'busybox') };
}
