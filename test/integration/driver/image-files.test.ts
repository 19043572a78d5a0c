// The container image ships only what the Dockerfile's runtime stage copies (the bundle, the
// proto files, protobufjs' own protos, package.json), not node_modules. No Docker engine runs
// here, so this lays out exactly those files, as the Dockerfile names them, in an empty
// directory and runs the driver from there the image's way, against moto.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectCsi } from '../../support/csi-client.js';
import { compileCacheTarget, imageRuntime, warmCompileCache } from '../../support/image-runtime.js';
import { projectRoot, startMoto, type Emulator } from '../../support/moto.js';
import { unique } from '../../support/names.js';
import { waitFor } from '../../support/ports.js';

describe('the image\'s files alone', () => {
  let moto: Emulator;
  const app = mkdtempSync(join(tmpdir(), 'ebs-image-'));

  before(async () => { moto = await startMoto(); });
  after(async () => {
    await moto?.stop();
    rmSync(app, { recursive: true, force: true });
  });

  it('run the controller: Probe is ready and a volume is created and deleted', async () => {
    const image = imageRuntime();
    assert.ok(image.files.some((f) => f.target === 'dist/bundle'), 'the runtime stage copies the bundle');
    const cacheTarget = compileCacheTarget(image);
    for (const { source, target } of image.files) {
      // The compile cache is made in the build stage, not kept in the repository: make it the same way.
      if (target === cacheTarget) warmCompileCache(join(app, target), image);
      else cpSync(join(projectRoot, source), join(app, target), { recursive: true });
    }
    // Node 22.1 and later keep a compile cache (the image's Node does); older ones ignore the setting.
    const hasCompileCache = typeof (nodeModule as { flushCompileCache?: unknown }).flushCompileCache === 'function';
    if (cacheTarget && hasCompileCache) assert.ok(readdirSync(join(app, cacheTarget)).length > 0, 'the compile cache holds the bundle\'s code');
    assert.equal(existsSync(join(app, 'node_modules', '@aws-sdk')), false, 'no production node_modules beyond what the Dockerfile names');

    const socket = join(app, 'csi.sock');
    const child = spawn(process.execPath, [...image.nodeArgs, join(app, 'dist/bundle/ebs-csi-driver.mjs'), 'controller', `--endpoint=unix://${socket}`], {
      cwd: app,
      env: { PATH: process.env.PATH ?? '', ...image.env, ...(cacheTarget ? { NODE_COMPILE_CACHE: join(app, cacheTarget) } : {}), ...moto.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const csi = connectCsi(socket);
    try {
      await waitFor('the driver to answer Probe', async () => {
        if (child.exitCode !== null) throw new Error(`the driver exited with ${child.exitCode}: ${output}`);
        return existsSync(socket) && (await csi.identity.Probe({}, 2000)).ready?.value === true;
      }, 30_000);
      const created = await csi.controller.CreateVolume({
        name: unique('image-files'), capacityRange: { requiredBytes: 1024 ** 3 }, parameters: { type: 'gp3' },
        volumeCapabilities: [{ mount: { fsType: 'ext4' }, accessMode: { mode: 'SINGLE_NODE_WRITER' } }],
      });
      const volumeId = created.volume?.volumeId ?? '';
      assert.match(volumeId, /^vol-/);
      await csi.controller.DeleteVolume({ volumeId });
    } finally {
      csi.close();
      child.kill('SIGTERM');
    }
  });
});
