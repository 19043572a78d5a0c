// The kubelet's configuration file and flags for a test node on this kind of machine, as plain
// data (unit-tested in test/unit/kubelet). Everything the kubelet writes goes inside the test's
// workspace; only loopback addresses are served; settings that differ from a cluster node's
// say why. The kubelet takes JSON for its config file (a YAML subset).

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface KubeletSetup {
  /** --root-dir: pods, volumes, plugin sockets and the plugin registry live here. */
  readonly rootDir: string;
  readonly podLogsDir: string;
  readonly nodeName: string;
  /** containerd's CRI endpoint, unix://… */
  readonly runtimeEndpoint: string;
  /** A top-level cgroup of the test's own; the kubelet's kubepods tree goes under it. */
  readonly cgroupRoot: string;
  /** The kubelet's HTTPS port (its API: /pods, /metrics, /stats) and plain healthz port. */
  readonly port: number;
  readonly healthzPort: number;
  /** aws:///<zone>/<instance id>, which the controller side reads as the node's instance. */
  readonly providerID?: string;
  /** Without a kubeconfig the kubelet runs standalone: static pods only, no Node object. */
  readonly kubeconfig?: string;
  /** CA of client certificates the kubelet's API accepts (x509 authentication). */
  readonly clientCAFile?: string;
  readonly staticPodPath?: string;
  readonly registerWithTaints?: readonly Taint[];
  /** How often volume stats are gathered (default here 10 s; a node's default is 1 min). */
  readonly volumeStatsAggPeriod?: string;
  /**
   * How often every pod is synced even without a change (default here 10 s; a node's default is
   * 1 min). A pod's sync is when the kubelet notices a claim grown under a mounted volume and
   * calls NodeExpandVolume, so a node's default leaves an online resize pending up to a minute.
   */
  readonly syncFrequency?: string;
  readonly verbosity?: number;
}

export function kubeletConfiguration(setup: KubeletSetup): Record<string, unknown> {
  const joined = setup.kubeconfig !== undefined;
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: '127.0.0.1',
    port: setup.port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: setup.healthzPort,
    containerRuntimeEndpoint: setup.runtimeEndpoint,
    podLogsDir: setup.podLogsDir,
    // This machine has cgroup v1, which the kubelet refuses unless told otherwise (it is
    // deprecated for nodes, not for tests). No systemd runs here: cgroupfs, as containerd's runc.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: `/${setup.cgroupRoot}`,
    cgroupsPerQOS: true,
    // Whatever the disk of the machine running the tests holds, no eviction and no image GC
    // may take the test's pods or its two local images away (they cannot be pulled again).
    evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'nodefs.inodesFree': '1%', 'imagefs.available': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    failSwapOn: false,
    // The kubelet sets vm.overcommit_memory, kernel.panic... unless this is true, in which case
    // it refuses to start on other values; the workspace puts them back (host.ts KUBELET_SYSCTLS).
    protectKernelDefaults: false,
    volumeStatsAggPeriod: setup.volumeStatsAggPeriod ?? '10s',
    syncFrequency: setup.syncFrequency ?? '10s',
    // Its flexvolume folder, which it creates (default /usr/libexec/kubernetes/kubelet-plugins/volume/exec).
    volumePluginDir: `${setup.rootDir}/volume-plugin-exec`,
    // No KUBE-* canary chains in the host's iptables (hostNetwork pods need none).
    makeIPTablesUtilChains: false,
    // Pods use the host's resolver: they are hostNetwork (no CNI here) and no cluster DNS runs.
    resolvConf: '',
    ...(setup.staticPodPath ? { staticPodPath: setup.staticPodPath } : {}),
    ...(setup.providerID ? { providerID: setup.providerID } : {}),
    ...(setup.registerWithTaints?.length ? { registerWithTaints: setup.registerWithTaints } : {}),
    authentication: {
      // Standalone (no API server to authenticate against), loopback callers may read /pods.
      anonymous: { enabled: !joined },
      webhook: { enabled: joined },
      ...(setup.clientCAFile ? { x509: { clientCAFile: setup.clientCAFile } } : {}),
    },
    // Standalone there is no API server to ask (and no one else on loopback to refuse).
    authorization: { mode: joined ? 'Webhook' : 'AlwaysAllow' },
  };
}

export function kubeletArgs(setup: KubeletSetup, configFile: string): string[] {
  return [
    `--config=${configFile}`,
    `--root-dir=${setup.rootDir}`,
    `--cert-dir=${setup.rootDir}/pki`,
    `--hostname-override=${setup.nodeName}`,
    '--node-ip=127.0.0.1',
    `--v=${setup.verbosity ?? 2}`,
    ...(setup.kubeconfig ? [`--kubeconfig=${setup.kubeconfig}`] : []),
  ];
}
