// A test node: a workspace (one per machine at a time), its containerd with the local images,
// and a kubelet on it — standalone (static pods only) or joined to a control plane through a
// kubeconfig. `stop` takes them down in reverse order and returns what could not be cleaned;
// it closes the workspace too unless the caller opened it (and closes it after its own clean-up).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../ports.js';
import { startContainerd, type Containerd } from './containerd.js';
import { createCgroupTree } from './host.js';
import type { KubeletSetup, Taint } from './kubelet-config.js';
import { startKubelet, type KubeletProcess } from './kubelet.js';
import { testImages, toolPaths, which, type TestImages } from './tools.js';
import { openWorkspace, type Workspace } from './workspace.js';

export interface TestNodeOptions {
  readonly nodeName: string;
  /** A workspace the caller opened and will close; by default the node opens and closes its own. */
  readonly workspace?: Workspace;
  readonly kubeconfig?: string;
  readonly clientCAFile?: string;
  readonly providerID?: string;
  readonly registerWithTaints?: readonly Taint[];
  /** Pod manifests the kubelet runs as static pods (written to its staticPodPath). */
  readonly staticPods?: readonly Record<string, unknown>[];
}

export interface TestNode {
  readonly workspace: Workspace;
  readonly containerd: Containerd;
  readonly kubelet: KubeletProcess;
  readonly images: TestImages;
  /** The kubelet's --root-dir (pods, plugins, plugins_registry). */
  readonly rootDir: string;
  stop(): Promise<string[]>;
}

async function need(tool: string): Promise<string> {
  const path = await which(tool);
  if (!path) throw new Error(`${tool} is not on PATH: run scripts/install/container-runtime.sh`);
  return path;
}

export async function startTestNode(options: TestNodeOptions): Promise<TestNode> {
  const images = testImages();
  const workspace = options.workspace ?? await openWorkspace();
  const undo: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<string[]> => {
    const problems: string[] = [];
    while (undo.length > 0) {
      await undo.pop()?.().catch((err: unknown) => problems.push(err instanceof Error ? err.message : String(err)));
    }
    return options.workspace ? problems : [...problems, ...await workspace.close()];
  };
  try {
    const containerd = await startContainerd({
      dir: workspace.path('containerd'), images,
      containerd: await need('containerd'), ctr: await need('ctr'), runc: await need('runc'),
    });
    undo.push(() => containerd.stop());
    // The kubelet's cgroupRoot must exist in every hierarchy; the workspace removes it again.
    await createCgroupTree(workspace.cgroup);
    const rootDir = workspace.path('kubelet');
    const staticPodPath = options.staticPods ? workspace.path('static-pods') : undefined;
    const setup: KubeletSetup = {
      rootDir, podLogsDir: workspace.path('pod-logs'), nodeName: options.nodeName,
      runtimeEndpoint: containerd.endpoint, cgroupRoot: workspace.cgroup,
      port: await freePort(), healthzPort: await freePort(),
      ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
      ...(options.clientCAFile ? { clientCAFile: options.clientCAFile } : {}),
      ...(options.providerID ? { providerID: options.providerID } : {}),
      ...(options.registerWithTaints ? { registerWithTaints: options.registerWithTaints } : {}),
      ...(staticPodPath ? { staticPodPath } : {}),
    };
    if (staticPodPath) {
      await mkdir(staticPodPath, { recursive: true });
      for (const [i, pod] of (options.staticPods ?? []).entries()) {
        await writeFile(join(staticPodPath, `pod-${i}.json`), JSON.stringify(pod));
      }
    }
    const kubelet = await startKubelet(toolPaths.kubelet, setup, workspace.path('kubelet-run'));
    undo.push(() => kubelet.stop());
    return { workspace, containerd, kubelet, images, rootDir, stop };
  } catch (err) {
    const problems = await stop();
    if (problems.length > 0) throw new Error(`${err instanceof Error ? err.message : String(err)}; and cleaning up: ${problems.join('; ')}`);
    throw err;
  }
}
