// CSI Identity service: who we are, what we offer, and whether we are ready.
import type { IdentityHandlers } from '../generated/csi/v1/Identity.js';
import type { PluginCapability } from '../generated/csi/v1/PluginCapability.js';
import type { AsyncHandlers } from '../server/pipeline.js';
import type { Readiness } from './readiness.js';

export interface IdentityDeps {
  readonly driverName: string;
  readonly version: string;
  /** True when this process serves the controller service. */
  readonly controller: boolean;
  readonly readiness: () => Promise<Readiness>;
}

export function identityHandlers(deps: IdentityDeps): AsyncHandlers<IdentityHandlers> {
  const capabilities: PluginCapability[] = [
    ...(deps.controller ? [{ service: { type: 'CONTROLLER_SERVICE' as const } }] : []),
    { service: { type: 'VOLUME_ACCESSIBILITY_CONSTRAINTS' } },
    { volumeExpansion: { type: 'ONLINE' } },
  ];
  return {
    GetPluginInfo: () => Promise.resolve({ name: deps.driverName, vendorVersion: deps.version }),
    GetPluginCapabilities: () => Promise.resolve({ capabilities }),
    Probe: async (_req, ctx) => {
      const { ready, reason } = await deps.readiness();
      if (!ready) ctx.log.warn({ reason }, 'not ready');
      return { ready: { value: ready } };
    },
  };
}
