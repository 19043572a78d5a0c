// Flow 7: the kubelet registers its Node with the
// start-up taint ebs.csi.aws.com/agent-not-ready:NoExecute; the node plugin starts with the
// DaemonSet's arguments, node-driver-registrar hands its socket to the kubelet's plugin registry,
// the kubelet calls NodeGetInfo and writes the CSINode (node id = the instance, topology keys,
// attach limit) and the Node's topology labels and node-id annotation; and only then does the
// plugin's taint watcher take the taint off. Checked against the API server's objects as they
// were polled from the kubelet's start, the kubelet's plugin registry on the host, and the logs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DRIVER_NAME } from '../../../support/kube/cluster.js';
import { DRIVER_CONTAINER } from '../../../support/kube/controller.js';
import { STARTUP_TAINT, type CsiNodeObject, type KubeNodeObject } from '../../../support/kubelet/cluster.js';
import { REGISTRAR_CONTAINER } from '../../../support/kubelet/node-plugin.js';
import type { Flow } from '../suite.js';

export const registrationFlow: Flow = {
  name: '7 registration through the kubelet\'s plugin registry; the start-up taint goes once it completes',
  async run({ k, admin }) {
    await k.taintGone(90_000);
    const t = k.registration;
    const startupTaint = t.taintsAtRegistration?.find((x) => x.key === STARTUP_TAINT.key);
    assert.equal(startupTaint?.effect, 'NoExecute', `the Node carried the start-up taint when it registered (taints then: ${JSON.stringify(t.taintsAtRegistration)})`);
    assert.ok(t.nodeSeenAtMs !== undefined && t.pluginStartedAtMs !== undefined && t.driverRegisteredAtMs !== undefined && t.taintGoneAtMs !== undefined,
      JSON.stringify(t));
    assert.ok(t.pluginStartedAtMs >= t.nodeSeenAtMs, 'the node plugin started after the Node registered, as a DaemonSet pod would');
    assert.ok(t.driverRegisteredAtMs <= t.taintGoneAtMs, `the taint went only once the CSINode listed the driver: ${JSON.stringify(t)}`);

    const csiNode = await admin.get<CsiNodeObject>({ apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', name: k.nodeName });
    const driver = csiNode.spec.drivers?.find((d) => d.name === DRIVER_NAME);
    assert.equal(driver?.nodeID, k.instanceId, 'the CSINode maps the Node to its EC2 instance (NodeGetInfo\'s node id)');
    assert.ok(driver.topologyKeys?.includes('topology.kubernetes.io/zone'), `topology keys: ${JSON.stringify(driver.topologyKeys)}`);
    assert.ok((driver.allocatable?.count ?? 0) > 0, `the attach limit reaches the scheduler: ${JSON.stringify(driver.allocatable)}`);

    const node = await admin.get<KubeNodeObject>({ apiVersion: 'v1', kind: 'Node', name: k.nodeName });
    assert.equal(node.metadata.labels?.['topology.kubernetes.io/zone'], k.zone, 'the kubelet labelled the Node with the driver\'s zone');
    assert.deepEqual(JSON.parse(node.metadata.annotations?.['csi.volume.kubernetes.io/nodeid'] ?? '{}'), { [DRIVER_NAME]: k.instanceId });
    assert.equal(node.spec?.providerID, `aws:///${k.zone}/${k.instanceId}`);
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'the Node is Ready');
    assert.deepEqual((node.spec?.taints ?? []).filter((x) => x.key === STARTUP_TAINT.key), [], 'the start-up taint is gone');

    assert.ok(existsSync(join(k.node.rootDir, 'plugins_registry', `${DRIVER_NAME}-reg.sock`)), 'the registrar\'s socket is in the kubelet\'s plugin registry');
    assert.ok(existsSync(join(k.node.rootDir, 'plugins', DRIVER_NAME, 'csi.sock')), 'the plugin serves at the path the registrar gave the kubelet');
    assert.match(k.nodePlugin.output(REGISTRAR_CONTAINER), /NotifyRegistrationStatus.*plugin_registered:true/, 'the kubelet told the registrar the plugin is registered');
    const pluginLog = k.nodePlugin.output(DRIVER_CONTAINER);
    assert.match(pluginLog, /removed the start-up taint/);
    assert.doesNotMatch(pluginLog, /could not remove the start-up taint/, 'one removal, no refused patch on the way');
    console.log(`# registration: Node registered ${t.nodeSeenAtMs} ms after the kubelet started; plugin started at ${t.pluginStartedAtMs} ms, `
      + `driver on the CSINode at ${t.driverRegisteredAtMs} ms, taint gone at ${t.taintGoneAtMs} ms`);
  },
};
