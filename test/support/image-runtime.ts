// How the container image starts the driver, read from the Dockerfile itself: the node flags
// of its ENTRYPOINT and the process environment its ENV lines set. Benchmarks run the driver
// the same way, so the memory they print is what a cluster sees, and the settings live in one
// place (the Dockerfile) instead of being copied here.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './moto.js';

export interface ImageRuntime {
  /** Flags given to node before the script, e.g. ["--max-semi-space-size=1"]. */
  readonly nodeArgs: readonly string[];
  /** Variables the image's ENV lines set (only KEY=value forms). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * What the runtime stage copies in, as paths relative to the repository (a build stage's
   * /app is the repository after `npm run build`) and to the image's /app.
   */
  readonly files: readonly { readonly source: string; readonly target: string }[];
  /** The Node.js major of the runtime stage's base image (node:24-… gives 24); undefined when not a node image. */
  readonly nodeMajor?: number;
}

/** A path of the build context or of a build stage's /app, relative to the repository. */
const relativeToApp = (path: string): string => path.replace(/^\/app\//, '').replace(/^\.\//, '').replace(/\/$/, '');

const BUNDLE = /\/dist\/bundle\/ebs-csi-driver\.mjs$/;

/** Joins backslash-continued lines and drops comments, as Docker reads the file. */
function instructions(dockerfile: string): string[] {
  return dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Strips one level of double quotes, as Docker does for ENV values. */
const unquote = (value: string): string => (/^".*"$/.test(value) ? value.slice(1, -1) : value);

export function parseImageRuntime(dockerfile: string): ImageRuntime {
  const lines = instructions(dockerfile);
  // Only the last stage is the image that runs; ENV of build stages does not reach it.
  const lastFrom = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  const runtime = lines.slice(lastFrom + 1);

  const env: Record<string, string> = {};
  for (const line of runtime.filter((l) => /^ENV\s/i.test(l))) {
    for (const m of line.replace(/^ENV\s+/i, '').matchAll(/(\w+)=("[^"]*"|\S*)/g)) env[m[1] ?? ''] = unquote(m[2] ?? '');
  }

  const entrypoint = runtime.filter((l) => /^ENTRYPOINT\s/i.test(l)).at(-1);
  if (entrypoint === undefined) throw new Error('Dockerfile: the runtime stage has no ENTRYPOINT');
  let argv: unknown;
  try {
    argv = JSON.parse(entrypoint.replace(/^ENTRYPOINT\s+/i, ''));
  } catch {
    argv = undefined;
  }
  if (!Array.isArray(argv) || !argv.every((a): a is string => typeof a === 'string')) {
    throw new Error(`Dockerfile: ENTRYPOINT must be an exec-form array of strings; got ${entrypoint}`);
  }
  const script = argv.findIndex((a) => BUNDLE.test(a));
  if (argv[0] !== 'node' || script < 1) {
    throw new Error(`Dockerfile: ENTRYPOINT must run node on dist/bundle/ebs-csi-driver.mjs; got ${entrypoint}`);
  }
  const files = runtime.filter((l) => /^COPY\s/i.test(l)).flatMap((line) => {
    const words = line.split(/\s+/).slice(1).filter((w) => !w.startsWith('--'));
    const target = relativeToApp(words.pop() ?? '');
    // "COPY a b ./" puts each (file) source under the target directory; "COPY a ./a" names it.
    return words.map((word) => {
      const source = relativeToApp(word);
      return { source, target: words.length > 1 || target === '' ? join(target, source.split('/').at(-1) ?? '') : target };
    });
  });
  const major = /^node:(\d+)/.exec(baseImage(lines, lastFrom))?.[1];
  return { nodeArgs: argv.slice(1, script), env, files, ...(major ? { nodeMajor: Number(major) } : {}) };
}

/** The image a FROM line names, with an ARG default put in for ${NAME} or $NAME. */
function baseImage(lines: readonly string[], from: number): string {
  const image = lines[from]?.split(/\s+/).slice(1).find((w) => !w.startsWith('--')) ?? '';
  return image.replace(/\$\{?(\w+)\}?/g, (_, name: string) => {
    const arg = lines.slice(0, from).map((l) => new RegExp(`^ARG\\s+${name}=(\\S+)`, 'i').exec(l)?.[1]).filter((v) => v !== undefined).at(-1);
    return arg ? unquote(arg) : '';
  });
}

export function imageRuntime(): ImageRuntime {
  return parseImageRuntime(readFileSync(join(projectRoot, 'Dockerfile'), 'utf8'));
}

/** The folder the image's compile cache goes to (its NODE_COMPILE_CACHE), relative to /app; undefined without one. */
export function compileCacheTarget(image: ImageRuntime): string | undefined {
  const dir = image.env.NODE_COMPILE_CACHE;
  return dir === undefined ? undefined : relativeToApp(dir);
}

/**
 * Fills a compile cache folder the way the image build does (the Dockerfile's warm-up RUN):
 * the bundle's `--version`, then scripts/warm-compile-cache.mjs, with the image's node flags,
 * run by `node` (this process's binary unless given).
 */
export function warmCompileCache(dir: string, image: ImageRuntime, node = process.execPath): void {
  mkdirSync(dir, { recursive: true });
  const env = { PATH: process.env.PATH ?? '', ...image.env, NODE_COMPILE_CACHE: dir };
  for (const args of [[join(projectRoot, 'dist/bundle/ebs-csi-driver.mjs'), '--version'], [join(projectRoot, 'scripts/warm-compile-cache.mjs')]]) {
    const run = spawnSync(node, [...image.nodeArgs, ...args], { env, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`warming the compile cache: node ${args.join(' ')} exited with ${run.status}: ${run.stderr}`);
  }
}
