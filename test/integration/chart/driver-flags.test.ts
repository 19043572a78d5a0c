// The driver's command lines the chart renders are accepted by the driver's own option parser,
// in the right mode, and mean what the values said.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { OPTION_SPEC, parseOptions, type DriverOptions } from '../../../src/cli.js';
import { render, requireHelm } from './helm.js';
import { container, find, mount, ofKind, type Workload } from './manifests.js';
import { SCENARIOS } from './scenarios.js';

interface DriverCommand {
  readonly workload: Workload;
  readonly args: readonly string[];
  readonly options: DriverOptions;
}

function parseDriver(workload: Workload): DriverCommand {
  const args = container(workload, 'ebs-plugin').args ?? [];
  for (const arg of args.filter((a) => a.startsWith('--'))) {
    const name = arg.slice(2).split('=')[0] ?? '';
    assert.ok(name in OPTION_SPEC, `${workload.kind} passes --${name}, which the driver does not define`);
  }
  let parsed;
  try {
    parsed = parseOptions(args);
  } catch (err) {
    assert.fail(`${workload.kind} args ${JSON.stringify(args)} were refused: ${err instanceof Error ? err.message : String(err)}`);
  }
  assert.equal(parsed.kind, 'run', `${workload.kind} args ask for ${parsed.kind} instead of running`);
  return { workload, args, options: parsed.options };
}

async function driverCommands(scenario: (typeof SCENARIOS)[number]): Promise<{ commands: DriverCommand[]; driverName?: string }> {
  const { objects } = await render(scenario);
  const workloads = [...ofKind<Workload>(objects, 'Deployment'), ...ofKind<Workload>(objects, 'DaemonSet')];
  const csiDriver = ofKind(objects, 'CSIDriver')[0];
  return { commands: workloads.map(parseDriver), ...(csiDriver ? { driverName: csiDriver.metadata.name } : {}) };
}

void describe('driver flags rendered by the chart', () => {
  before(requireHelm);

  for (const scenario of SCENARIOS) {
    void it(`are accepted by the driver's parser with ${scenario.name}`, async () => {
      const { commands, driverName } = await driverCommands(scenario);
      assert.ok(commands.length > 0, 'some driver container was rendered');
      for (const { workload, options } of commands) {
        assert.equal(options.mode, workload.kind === 'Deployment' ? 'controller' : 'node');
        if (driverName) assert.equal(options.driverName, driverName, 'driver and CSIDriver object agree on the name');
        // The socket the driver listens on must sit in the directory its sidecars mount.
        const socketDir = options.endpoint.replace(/^unix:\/\//, '').replace(/\/[^/]+$/, '');
        const pluginMount = workload.kind === 'Deployment' ? 'socket-dir' : 'plugin-dir';
        assert.equal(mount(container(workload, 'ebs-plugin'), pluginMount).mountPath, socketDir);
        if (workload.kind === 'DaemonSet') {
          const env = container(workload, 'ebs-plugin').env ?? [];
          assert.ok(env.some((e) => e.name === 'CSI_NODE_NAME' && e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName'));
        }
      }
    });
  }

  void it('carry the tagging, logging and attachment values through to the parsed options', async () => {
    const controller = await render({ valuesFiles: ['controller-only.yaml'] });
    const { options: c } = parseDriver(find<Workload>(controller.objects, 'Deployment'));
    assert.deepEqual(c.extraTags, { team: 'storage', 'cost-center': '4711' });
    assert.equal(c.clusterId, 'prod-cluster');
    assert.equal(c.loggingFormat, 'json');
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.httpEndpoint, '0.0.0.0:3301');
    assert.equal(c.userAgentExtra, 'ci');

    const node = await render({ valuesFiles: ['node-only.yaml'] });
    const { options: n } = parseDriver(find<Workload>(node.objects, 'DaemonSet'));
    assert.equal(n.volumeAttachLimit, 25);
    assert.equal(n.reservedVolumeAttachments, undefined);
    assert.equal(n.driverName, 'ebs.csi.example.com');
    assert.equal(n.httpEndpoint, '0.0.0.0:3402');
  });

  void it('a flag the driver does not know is caught by the same check', () => {
    assert.throws(() => parseOptions(['controller', '--endpoint=unix:///tmp/x.sock', '--no-such-flag=1']), /no-such-flag/);
  });
});
