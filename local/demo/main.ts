#!/usr/bin/env node
// The end-to-end demo (scripts/demo.sh runs it against scripts/local-env.sh): the life of
// one EBS volume through the driver, told step by step in plain words.
//   demo --endpoint unix:///…/csi.sock --work-dir DIR
import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectCsi } from '../client/csi-client.js';
import { writeDurably } from './durable-write.js';
import { growableFsType } from './host-capabilities.js';
import { GIB, VolumeWorkflow, type Mounted } from './volume-workflow.js';

const STEPS = 11;
let stepNumber = 0;

function step(title: string): void {
  stepNumber += 1;
  process.stdout.write(`\n[${stepNumber}/${STEPS}] ${title}\n`);
}

function detail(text: string): void {
  process.stdout.write(`      ${text}\n`);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : JSON.stringify(error);
}

function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(2)} GiB`;
}

async function deviceBehind(publishContext: Record<string, string>): Promise<string> {
  const name = publishContext.devicePath ?? '';
  const real = name ? await realpath(name).catch(() => undefined) : undefined;
  return real ? `${name} → ${real}` : name || '(no device path)';
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { endpoint: { type: 'string' }, 'work-dir': { type: 'string' } } });
  const endpoint = values.endpoint ?? process.env.CSI_ENDPOINT;
  const workDir = values['work-dir'];
  if (!endpoint || !workDir) {
    process.stderr.write('usage: demo --endpoint unix:///path/csi.sock --work-dir DIR (scripts/demo.sh sets both)\n');
    return 2;
  }
  const fsType = await growableFsType();
  if (fsType !== 'ext4') {
    process.stdout.write('Note: this machine does not let root grow a mounted ext4 filesystem (no CAP_SYS_RESOURCE,\n'
      + 'usual in containers), so the demo formats with xfs, which it can grow. ext4 is the driver\'s default.\n');
  }
  const csi = connectCsi(endpoint);
  const flow = new VolumeWorkflow(csi, workDir, fsType);
  const message = `Hello from an emulated EBS volume, written at ${new Date().toISOString()}\n`;
  let ok = false;
  try {
    step('Asking the node plugin which machine it runs on (NodeGetInfo)');
    const node = await flow.nodeFacts();
    const zone = node.topology?.segments['topology.kubernetes.io/zone'] ?? node.topology?.segments['topology.ebs.csi.aws.com/zone'];
    detail(`This machine is EC2 instance ${node.nodeId} in zone ${zone ?? '(none reported)'}; it can take ${node.maxVolumes} more EBS volumes.`);

    step('Creating a 1 GiB gp3 volume in that zone (CreateVolume)');
    const original = await flow.createVolume('demo-data', node, { sizeGiB: 1 });
    detail(`EC2 created volume ${original.volumeId} (${gib(original.capacityBytes)}).`);

    step('Attaching the volume to this machine (ControllerPublishVolume)');
    const published = await flow.attach(original, node);
    detail(`EC2 attached it as ${await deviceBehind(published)} (a loop device plays the disk).`);

    step(`Formatting it with ${fsType} and mounting it for a pod (NodeStageVolume + NodePublishVolume)`);
    const first = await flow.mount(original, published, 'demo-data');
    detail(`Staged at ${first.stagingPath}; the pod would see it at ${first.targetPath}.`);

    step('Writing a file into the volume and reading it back');
    const file = join(first.targetPath, 'hello.txt');
    await writeDurably(file, message);
    const readBack = await readFile(file, 'utf8');
    if (readBack !== message) throw new Error(`read back "${readBack}" instead of what was written`);
    detail(`Wrote and read ${file}: "${message.trim()}"`);

    step('Taking a snapshot of the volume (CreateSnapshot)');
    const snapshotId = await flow.snapshot('demo-snapshot', original);
    detail(`Snapshot ${snapshotId} is ready to use.`);

    step('Cloning the volume while it is mounted, and reading the file from the clone (CreateVolume from a volume)');
    const clone = await flow.createVolume('demo-clone', node, { sizeGiB: 1, fromVolume: original.volumeId });
    const cloneMount = await flow.mount(clone, await flow.attach(clone, node), 'demo-clone');
    const fromClone = await readFile(join(cloneMount.targetPath, 'hello.txt'), 'utf8');
    if (fromClone !== message) throw new Error(`the clone holds "${fromClone}" instead of the source's file`);
    detail(`EC2 copied ${original.volumeId} into ${clone.volumeId} (CopyVolumes, same zone); mounted at ${cloneMount.targetPath}, it holds the same file.`);
    await flow.unmount(cloneMount);
    await flow.detach(clone, node);

    step('Restoring the snapshot into a new volume and mounting it (CreateVolume from snapshot)');
    const restored = await flow.createVolume('demo-restored', node, { sizeGiB: 1, fromSnapshot: snapshotId });
    const restoredMount: Mounted = await flow.mount(restored, await flow.attach(restored, node), 'demo-restored');
    detail(`EC2 created volume ${restored.volumeId} from ${snapshotId}; it is mounted at ${restoredMount.targetPath}.`);

    step('Reading the file back from the restored volume');
    const fromRestore = await readFile(join(restoredMount.targetPath, 'hello.txt'), 'utf8');
    if (fromRestore !== message) throw new Error(`the restored volume holds "${fromRestore}" instead of the snapshot's file`);
    detail('The restored volume holds exactly the file written before the snapshot.');

    step('Growing the restored volume to 2 GiB while it is mounted (ControllerExpandVolume + NodeExpandVolume)');
    const before = await flow.usage(restoredMount);
    const newSize = await flow.expand(restoredMount, 2);
    const after = await flow.usage(restoredMount);
    if (after.totalBytes <= before.totalBytes) throw new Error(`the filesystem did not grow (${gib(before.totalBytes)} → ${gib(after.totalBytes)})`);
    detail(`Volume is now ${gib(newSize)}; the filesystem grew from ${gib(before.totalBytes)} to ${gib(after.totalBytes)}, file still there: `
      + `${(await readFile(join(restoredMount.targetPath, 'hello.txt'), 'utf8')) === message ? 'yes' : 'NO'}.`);
    ok = true;
  } catch (err) {
    process.stdout.write(`\nFAILED: ${describeError(err)}\n`);
  }

  step('Tearing everything down: unmount, detach, delete volumes and snapshot');
  const failed = await flow.teardown((what, error) => detail(error === undefined ? `${what}: done` : `could not ${what}: ${describeError(error)}`));
  csi.close();
  if (failed.length > 0) {
    process.stdout.write(`\nSome clean-up steps failed (${failed.join(', ')}); scripts/local-env.sh stop removes what is left.\n`);
    return 1;
  }
  process.stdout.write(ok ? '\nDemo finished: the volume\'s whole life ran through the driver.\n' : '\nDemo failed; see above.\n');
  return ok ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
