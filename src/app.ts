// Builds the object graph for controller, node or all mode and serves it. Kept apart
// from main.ts (process concerns: signals, exit codes) so tests can start it in-process.
import type { Server } from 'node:http';
import type { DriverOptions } from './cli.js';
import { identityHandlers } from './csi/identity.js';
import { PermissionReadiness, type Readiness } from './csi/readiness.js';
import type { Logger } from './logger.js';
import { serveMetrics } from './metrics/http.js';
import { Metrics } from './metrics/registry.js';
import { deferredService } from './server/deferred.js';
import { InFlight } from './server/inflight.js';
import { wrapService, type PipelineDeps } from './server/pipeline.js';
import { loadCsiProto, secretFieldsByMethod } from './server/proto.js';
import { CsiServer, type ServiceBinding } from './server/server.js';
import { VERSION } from './version.js';
import type { KubeClientCache } from './kube/cache.js';
import { resolveRegion } from './cloud/region.js';

export interface RunningDriver {
  readonly socketPath: string;
  stop(): Promise<void>;
}

/** The region from the environment; else, for a controller, from IMDS or its Node's labels. */
async function controllerRegion(options: DriverOptions, log: Logger, kube: () => Promise<KubeClientCache>): Promise<string | undefined> {
  const configured = resolveRegion(undefined);
  if (configured) return configured;
  const { discoverRegion } = await import('./metadata/resolve.js');
  const region = await discoverRegion({ log, sources: options.metadataSources, kubeClient: async () => (await kube()).get() });
  if (region) log.info({ region }, 'region found without AWS_REGION');
  return region;
}

export async function startDriver(options: DriverOptions, log: Logger): Promise<RunningDriver> {
  for (const warning of options.warnings) log.warn(warning);
  // Process metrics sample the event loop every 10 ms (prom-client's default), which keeps
  // an idle driver at ~0.5 % of a core on every node; without an endpoint nobody reads them.
  const metrics = new Metrics({ processMetrics: options.httpEndpoint !== undefined, deprecatedNames: options.deprecatedMetrics });
  const proto = loadCsiProto();
  const inFlight = new InFlight();
  const pipeline = (service: { service: Parameters<typeof secretFieldsByMethod>[0] }): PipelineDeps => ({
    log, metrics, inFlight, secretFieldsByMethod: secretFieldsByMethod(service.service, proto.secretFields),
  });
  const bindings: ServiceBinding[] = [];
  const withController = options.mode !== 'node';
  // One Kubernetes client per process, made only when something needs it.
  let kube: KubeClientCache | undefined;
  const kubeCache = async (): Promise<KubeClientCache> => {
    if (!kube) {
      const { KubeClientCache } = await import('./kube/cache.js');
      kube ??= new KubeClientCache(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {});
    }
    return kube;
  };
  let readiness: () => Promise<Readiness> = () => Promise.resolve({ ready: true });

  let controllerStarted: Promise<unknown> = Promise.resolve();
  if (withController) {
    // Bound at once, built after the socket opens (deferred.ts): the EC2 SDK is most of the
    // start-up time, and Probe needs none of it. The node DaemonSet, which runs on every
    // node and never calls EC2, never loads it at all.
    const implementation = (async () => {
      const [{ createEc2Cloud }, { createControllerService }] = await Promise.all([
        import('./cloud/ec2/index.js'), import('./csi/controller/index.js'),
      ]);
      const region = await controllerRegion(options, log, kubeCache);
      const cloud = createEc2Cloud({
        log, metrics, sdkDebugLog: options.awsSdkDebugLog,
        ...(region ? { region } : {}),
        ...(options.userAgentExtra ? { userAgentExtra: options.userAgentExtra } : {}),
        // --batching=false: every lookup is its own Describe call, as in the reference without batching.
        ...(options.batching ? {} : { tuning: { coalesceWindowMs: 0, coalesceMaxBatch: 1 } }),
      });
      const controller = createControllerService({
        cloud, driverName: options.driverName, extraTags: options.extraTags, extraVolumeTags: options.extraVolumeTags,
        warnOnInvalidTag: options.warnOnInvalidTag,
        ...(options.clusterId ? { clusterId: options.clusterId } : {}),
      }, { coalesceWindowMs: options.modifyVolumeWindowMs });
      const permissions = new PermissionReadiness(() => cloud.missingPermissions(), log, metrics);
      readiness = () => permissions.current();
      // Check at start-up; the result reaches the log, the metric and later Probes.
      void permissions.refresh();
      return wrapService('Controller', controller.handlers, controller.lockKeys, pipeline(proto.services.Controller));
    })();
    bindings.push({ definition: proto.services.Controller.service, implementation: deferredService(proto.services.Controller.service, implementation) });
    controllerStarted = implementation;
    // Awaited once the socket is open; until then a failure must not count as unhandled.
    implementation.catch(() => undefined);
  }
  let lifecycle: ((signal: AbortSignal) => Promise<void>) | undefined;
  if (options.mode !== 'controller') {
    const [{ createNodeService }, cache, { watchStartupTaint }] = await Promise.all([
      import('./csi/node/index.js'), kubeCache(), import('./lifecycle/startup-taint.js'),
    ]);
    const node = await createNodeService({
      log, metrics, driverName: options.driverName, legacyXfs: options.legacyXfs, metadataSources: options.metadataSources,
      kubeClient: () => cache.get(),
      ...(options.volumeAttachLimit !== undefined ? { volumeAttachLimit: options.volumeAttachLimit } : {}),
      ...(options.reservedVolumeAttachments !== undefined ? { reservedVolumeAttachments: options.reservedVolumeAttachments } : {}),
    });
    bindings.push({
      definition: proto.services.Node.service,
      implementation: wrapService('Node', node.handlers, node.lockKeys, pipeline(proto.services.Node)),
    });
    const nodeName = process.env.CSI_NODE_NAME;
    if (process.env.DISABLE_TAINT_WATCHER) {
      log.info('DISABLE_TAINT_WATCHER is set: the start-up taint is left alone');
    } else if (!nodeName) {
      log.info('CSI_NODE_NAME is not set: the start-up taint is left alone');
    } else {
      // Started once the socket serves: the taint must not go before the plugin can answer.
      lifecycle = (signal) => watchStartupTaint({ client: () => cache.get(), nodeName, driverName: options.driverName, log, signal });
    }
  }
  const identity = identityHandlers({ driverName: options.driverName, version: VERSION, controller: withController, readiness: () => readiness() });
  bindings.push({
    definition: proto.services.Identity.service,
    implementation: wrapService('Identity', identity, {}, pipeline(proto.services.Identity)),
  });

  // Metrics first: a port already in use must stop start-up before the CSI socket opens;
  // a driver answering Probe without its metrics would look healthy to the livenessprobe.
  const http: Server | undefined = options.httpEndpoint ? await serveMetrics(options.httpEndpoint, metrics, options.metricsTls) : undefined;
  const server = new CsiServer(bindings);
  let socketPath: string;
  try {
    socketPath = await server.listen(options.endpoint);
  } catch (err) {
    http?.close();
    throw err;
  }
  try {
    await controllerStarted;
  } catch (err) {
    await server.stop(0);
    http?.close();
    throw err;
  }
  log.info({ mode: options.mode, endpoint: socketPath, driver: options.driverName, version: VERSION, metrics: options.httpEndpoint }, 'driver listening');
  const stopping = new AbortController();
  const background = lifecycle?.(stopping.signal);
  return {
    socketPath,
    async stop() {
      stopping.abort();
      await background;
      kube?.close();
      await server.stop();
      await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    },
  };
}
