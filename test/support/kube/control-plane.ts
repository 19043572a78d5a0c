// A real Kubernetes control plane as loopback processes: etcd, kube-apiserver (its own CA,
// serving and client certificates and ServiceAccount keys), kube-controller-manager and
// kube-scheduler, each on a free 127.0.0.1 port, all under one Supervisor (processes.ts), so
// they stop together on every exit path. Without a kubelet the node lifecycle controller is off,
// so Nodes a test creates are not tainted and their pods not evicted; a test that runs a kubelet
// (which reports its Node's health) turns it back on with `nodeLifecycle`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient } from './client.js';
import { writeKubeconfig } from './kubeconfig.js';
import { makePki, pem, type Pki } from './pki.js';
import { Supervisor, type ProcessSpec, type Supervised } from './processes.js';
import { freePort, waitFor } from '../ports.js';
import { etcdBinary, kubeBinary, requireKubeTools } from './versions.js';

export interface ControlPlaneOptions {
  readonly version: string;
  /** Runs the processes under this supervisor (the caller stops it); by default the control plane has its own. */
  readonly supervisor?: Supervisor;
  /** Extra kube-apiserver flags, e.g. --feature-gates or --runtime-config. */
  readonly apiServerArgs?: readonly string[];
  /**
   * Run kube-controller-manager's node lifecycle controller (default false). Only with a kubelet
   * that reports its Node Ready: the controller taints and evicts from Nodes that report nothing.
   */
  readonly nodeLifecycle?: boolean;
}

export interface ControlPlane {
  readonly version: string;
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly supervisor: Supervisor;
  readonly pki: Pki;
  /** A client as cluster admin (client certificate in group system:masters). */
  readonly admin: KubeClient;
  /** A kubeconfig file as cluster admin. */
  readonly adminKubeconfig: string;
  readonly processes: Readonly<Record<'etcd' | 'kubeApiserver' | 'kubeControllerManager' | 'kubeScheduler', Supervised>>;
  /** A kubeconfig file holding a fresh token of the ServiceAccount (TokenRequest API). */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** A client authenticated with a fresh token of the ServiceAccount. */
  serviceAccountClient(namespace: string, name: string): Promise<KubeClient>;
  /** Stops every process and removes the state directory (when the control plane owns its supervisor). */
  stop(): Promise<void>;
}

const ADDRESS_IN_USE = /address already in use/i;

/**
 * Starts a process on a fresh free port and waits until `ready`; when the port was taken in the
 * meantime (another test picked the same free port), tries again with another.
 */
async function startOnFreePort(
  supervisor: Supervisor, spec: (port: number, extraPort: number) => ProcessSpec, ready: (port: number) => Promise<boolean>, timeoutMs: number,
): Promise<{ process: Supervised; port: number }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    let extraPort = await freePort();
    while (extraPort === port) extraPort = await freePort();
    const s = spec(port, extraPort);
    const child = supervisor.spawn(s);
    let exited = false;
    const early = child.exited.then(() => {
      exited = true;
      throw new Error(`${s.name} exited before it was ready`);
    });
    // Once ready, a later exit is the caller's business, not an unhandled rejection.
    early.catch(() => undefined);
    try {
      await Promise.race([waitFor(`${s.name} on 127.0.0.1:${port} to be ready`, () => ready(port), timeoutMs), early]);
      return { process: child, port };
    } catch (err) {
      await child.stop(2000);
      if (attempt < 3 && ADDRESS_IN_USE.test(child.output())) continue;
      throw new Error(`${s.name} did not become ready${exited ? ' (it exited)' : ''}: ${err instanceof Error ? err.message : String(err)}\n--- ${s.name} output (tail) ---\n${child.output().slice(-6000)}`);
    }
  }
}

async function healthy(client: KubeClient, path: string): Promise<boolean> {
  return (await client.request('GET', path, { timeoutMs: 5000 })) === 'ok';
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { version } = options;
  requireKubeTools(version);
  const supervisor = options.supervisor ?? Supervisor.create(`kube-${version}`);
  const owned = options.supervisor === undefined;
  const dir = join(supervisor.stateDir, `control-plane-${version}`);
  const clients: KubeClient[] = [];
  try {
    const pki = await makePki(join(dir, 'pki'));

    const etcd = await startOnFreePort(supervisor, (port, peerPort) => ({
      name: `etcd-${version}`,
      file: etcdBinary(),
      args: [
        '--name=e2e', `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${port}`, `--advertise-client-urls=http://127.0.0.1:${port}`,
        // A one-member cluster never uses its peer port, but etcd must listen on one.
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=e2e=http://127.0.0.1:${peerPort}`,
        // Test data: no fsync, which costs seconds on a shared disk.
        '--unsafe-no-fsync', '--log-level=warn',
      ],
    }), async (port) => {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    }, 30_000);

    const adminCredentials = { ca: pem(pki.ca), cert: pem(pki.admin.cert), key: pem(pki.admin.key) };
    const apiserver = await startOnFreePort(supervisor, (port) => ({
      name: `kube-apiserver-${version}`,
      file: kubeBinary(version, 'kube-apiserver'),
      args: [
        `--etcd-servers=http://127.0.0.1:${etcd.port}`,
        '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${port}`,
        // No kubernetes Service endpoints: nothing in the cluster network could reach loopback anyway.
        '--endpoint-reconciler-type=none',
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${pki.server.cert}`, `--tls-private-key-file=${pki.server.key}`,
        `--client-ca-file=${pki.ca}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        '--authorization-mode=Node,RBAC',
        '--allow-privileged=true',
        '--profiling=false',
        '--v=1',
        ...(options.apiServerArgs ?? []),
      ],
    }), async (port) => {
      const probe = new KubeClient({ server: `https://127.0.0.1:${port}`, ...adminCredentials });
      try {
        return await healthy(probe, '/readyz');
      } finally {
        probe.close();
      }
    }, 120_000);
    const server = `https://127.0.0.1:${apiserver.port}`;
    const admin = new KubeClient({ server, ...adminCredentials });
    clients.push(admin);

    const kubeconfigs = join(dir, 'kubeconfig');
    mkdirSync(kubeconfigs, { recursive: true, mode: 0o700 });
    const adminKubeconfig = writeKubeconfig(join(kubeconfigs, 'admin'), server, pki.ca, { clientCertificate: pki.admin.cert, clientKey: pki.admin.key });
    const cmKubeconfig = writeKubeconfig(join(kubeconfigs, 'controller-manager'), server, pki.ca, { clientCertificate: pki.controllerManager.cert, clientKey: pki.controllerManager.key });
    const schedulerKubeconfig = writeKubeconfig(join(kubeconfigs, 'scheduler'), server, pki.ca, { clientCertificate: pki.scheduler.cert, clientKey: pki.scheduler.key });
    const serving = (port: number, kubeconfig: string): string[] => [
      `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1', `--secure-port=${port}`,
      `--tls-cert-file=${pki.server.cert}`, `--tls-private-key-file=${pki.server.key}`,
      '--leader-elect=false', '--v=1',
    ];
    const healthz = async (port: number): Promise<boolean> => {
      const probe = new KubeClient({ server: `https://127.0.0.1:${port}`, ...adminCredentials });
      try {
        return await healthy(probe, '/healthz');
      } finally {
        probe.close();
      }
    };

    const [controllerManager, scheduler] = await Promise.all([
      startOnFreePort(supervisor, (port) => ({
        name: `kube-controller-manager-${version}`,
        file: kubeBinary(version, 'kube-controller-manager'),
        args: [
          ...serving(port, cmKubeconfig),
          // Every controller runs as its own ServiceAccount, as kubeadm sets it up.
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${pki.serviceAccountKey}`,
          `--root-ca-file=${pki.ca}`,
          '--cluster-name=e2e',
          // No kubelet reports node health: without this, test Nodes would be tainted and their pods evicted.
          options.nodeLifecycle === true ? '--controllers=*' : '--controllers=*,-nodelifecycle',
        ],
      }), healthz, 60_000),
      startOnFreePort(supervisor, (port) => ({
        name: `kube-scheduler-${version}`,
        file: kubeBinary(version, 'kube-scheduler'),
        args: serving(port, schedulerKubeconfig),
      }), healthz, 60_000),
    ]);

    // The ServiceAccount controller runs once the controller-manager has synced: pods need "default".
    await admin.waitUntil({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: 'default', name: 'default' },
      'the controller-manager to create the default ServiceAccount', () => true, 60_000);

    let tokens = 0;
    const serviceAccountKubeconfig = async (namespace: string, name: string): Promise<string> => {
      const token = await admin.createToken(namespace, name);
      tokens += 1;
      return writeKubeconfig(join(kubeconfigs, `sa-${namespace}-${name}-${tokens}`), server, pki.ca, { token }, namespace);
    };
    const serviceAccountClient = async (namespace: string, name: string): Promise<KubeClient> => {
      const client = new KubeClient({ server, ca: adminCredentials.ca, token: await admin.createToken(namespace, name) });
      clients.push(client);
      return client;
    };

    return {
      version, server, supervisor, pki, admin, adminKubeconfig,
      processes: { etcd: etcd.process, kubeApiserver: apiserver.process, kubeControllerManager: controllerManager.process, kubeScheduler: scheduler.process },
      serviceAccountKubeconfig, serviceAccountClient,
      stop: async () => {
        for (const c of clients) c.close();
        if (owned) await supervisor.stopAll();
        else await Promise.all([scheduler.process, controllerManager.process, apiserver.process, etcd.process].map((p) => p.stop()));
      },
    };
  } catch (err) {
    for (const c of clients) c.close();
    if (owned) await supervisor.stopAll();
    throw err;
  }
}
