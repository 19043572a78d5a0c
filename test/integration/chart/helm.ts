// Runs the pinned helm binary (installed by scripts/install/helm.sh) on the chart, argv only.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifests, type K8sObject } from './manifests.js';

// Compiled to dist/test/integration/chart/: four levels below the repository root.
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const CHART_DIR = join(REPO_ROOT, 'charts/aws-ebs-csi-driver');
export const CHART_TEST_DIR = join(REPO_ROOT, 'test/integration/chart');
export const VALUES_DIR = join(CHART_TEST_DIR, 'values');
export const HELM = join(REPO_ROOT, '.tools/bin/helm');
export const HELM_VERSION = 'v3.21.4';
/** The Kubernetes release rendered for and validated against (the newest kubernetes-validate knows). */
export const KUBE_VERSION = '1.37.0';
export const RELEASE = 'ebs';
export const NAMESPACE = 'kube-system';
export const SNAPSHOT_API = 'snapshot.storage.k8s.io/v1/VolumeSnapshotClass';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with an argv array (never a shell) and reports its exit code instead of throwing. */
export function run(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    execFile(file, [...args], { maxBuffer: 64 * 1024 * 1024, ...(env ? { env } : {}) }, (err, stdout, stderr) => {
      // A numeric code is the program's exit status; anything else (ENOENT...) means it never ran.
      if (err && typeof err.code !== 'number') {
        reject(new Error(`${file} could not run: ${err.message}`));
        return;
      }
      resolveRun({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

/** Fails with the fix in the message when the tool is missing (npm test installs it first). */
export async function requireExecutable(path: string, installScript: string): Promise<void> {
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is missing: run ${installScript} (npm test runs every scripts/install/*.sh first)`);
  }
}

export async function requireHelm(): Promise<void> {
  await requireExecutable(HELM, 'scripts/install/helm.sh');
  const { stdout } = await run(HELM, ['version', '--template', '{{ .Version }}']);
  if (stdout.trim() !== HELM_VERSION) {
    throw new Error(`${HELM} reports ${stdout.trim()}, expected ${HELM_VERSION}: run scripts/install/helm.sh`);
  }
}

export interface RenderOptions {
  /** Files under test/integration/chart/values/. */
  readonly valuesFiles?: readonly string[];
  /** --set expressions. */
  readonly set?: readonly string[];
  /** API versions the pretend cluster serves, e.g. SNAPSHOT_API. */
  readonly apiVersions?: readonly string[];
  /** The pretend cluster's Kubernetes version (default KUBE_VERSION). */
  readonly kubeVersion?: string;
}

function templateArgs(options: RenderOptions): string[] {
  return [
    'template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--kube-version', options.kubeVersion ?? KUBE_VERSION,
    ...(options.valuesFiles ?? []).flatMap((f) => ['--values', join(VALUES_DIR, f)]),
    ...(options.set ?? []).flatMap((s) => ['--set', s]),
    ...(options.apiVersions ?? []).flatMap((a) => ['--api-versions', a]),
  ];
}

export interface Rendered {
  readonly text: string;
  readonly objects: readonly K8sObject[];
}

/** helm template; throws with helm's message when rendering fails. */
export async function render(options: RenderOptions = {}): Promise<Rendered> {
  const result = await run(HELM, templateArgs(options));
  if (result.code !== 0) throw new Error(`helm template failed (exit ${result.code}): ${result.stderr}`);
  return { text: result.stdout, objects: parseManifests(result.stdout) };
}

/** helm template expected to fail; returns helm's error output. */
export async function renderError(options: RenderOptions): Promise<string> {
  const result = await run(HELM, templateArgs(options));
  if (result.code === 0) throw new Error(`helm template succeeded but should have failed for ${JSON.stringify(options)}`);
  return result.stderr;
}

export function lint(options: RenderOptions & { readonly strict?: boolean }): Promise<RunResult> {
  return run(HELM, [
    'lint', CHART_DIR, '--kube-version', KUBE_VERSION, ...(options.strict ? ['--strict'] : []),
    ...(options.valuesFiles ?? []).flatMap((f) => ['--values', join(VALUES_DIR, f)]),
    ...(options.set ?? []).flatMap((s) => ['--set', s]),
  ]);
}
