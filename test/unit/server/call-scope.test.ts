// An abandoned call starts no change: once the pipeline has answered a call at its deadline
// (and freed its volume for the CO's retry), the handler still running must not send an
// EC2 mutation or mount anything — a late re-sent AttachVolume would undo the detach the
// retry and the calls after it made. Reads still go out: they are shared and harmless.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { CallAbandoned, runInCall } from '../../../src/call-scope.js';
import { Ec2Caller } from '../../../src/cloud/ec2/caller.js';
import { DEFAULT_RETRY_POLICY } from '../../../src/cloud/ec2/retry.js';
import { AttachVolumeCommand, CreateVolumeCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { EC2_DEFAULT_REQUEST_LIMITS, RequestPacer } from '../../../src/cloud/ec2/request-pacing.js';
import { Metrics } from '../../../src/metrics/registry.js';
import type { Exec } from '../../../src/node/exec.js';
import { Mounter } from '../../../src/node/mounter.js';
import { toGrpcFailure } from '../../../src/server/errors.js';
import { status } from '@grpc/grpc-js';
import { StubEc2, awsError } from '../cloud/stub-ec2.js';

const silent = pino({ level: 'silent' });
const aborted = (): AbortSignal => { const c = new AbortController(); c.abort(); return c.signal; };

describe('work of an abandoned call', () => {
  it('sends no EC2 change, nor a retry of one, once the caller has gone; reads still go out', async () => {
    const stub = new StubEc2().on('DescribeVolumes', () => ({ Volumes: [] })).on('AttachVolume', () => ({ State: 'attaching' }));
    const caller = new Ec2Caller(stub, new Metrics(false), silent, { ...DEFAULT_RETRY_POLICY, minDelayMs: 1, maxDelayMs: 1 });
    await runInCall(aborted(), async () => {
      await assert.rejects(caller.send(new AttachVolumeCommand({ VolumeId: 'vol-1', InstanceId: 'i-1', Device: '/dev/xvdba' })), CallAbandoned);
      await caller.send(new DescribeVolumesCommand({}));
    });
    assert.deepEqual(stub.calls.map((c) => c.action), ['DescribeVolumes']);

    // The caller leaves while the first attempt fails: the retry is not sent.
    const live = new AbortController();
    const flaky = new StubEc2().on('AttachVolume', () => { live.abort(); throw awsError('InternalError', 'boom', 500); });
    const flakyCaller = new Ec2Caller(flaky, new Metrics(false), silent, { ...DEFAULT_RETRY_POLICY, minDelayMs: 1, maxDelayMs: 1 });
    await runInCall(live.signal, () => assert.rejects(
      flakyCaller.send(new AttachVolumeCommand({ VolumeId: 'vol-1', InstanceId: 'i-1', Device: '/dev/xvdba' })), CallAbandoned));
    assert.equal(flaky.count('AttachVolume'), 1);
  });

  it('leaves the request-token queue when the caller goes, sending nothing, and its retry takes its place', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const stub = new StubEc2().on('CreateVolume', (input) => ({ VolumeId: `vol-for-${input.ClientToken ?? ''}` }));
    const pacer = new RequestPacer({ ...EC2_DEFAULT_REQUEST_LIMITS, resourceChanging: { capacity: 1, refillPerSecond: 1 } }, Date.now, 0);
    const caller = new Ec2Caller(stub, new Metrics(false), silent, DEFAULT_RETRY_POLICY, pacer);
    const create = (token: string): Promise<unknown> => caller.send(new CreateVolumeCommand({ AvailabilityZone: 'z', Size: 1, ClientToken: token }), { subject: `volume named "${token}"` });
    await create('warm-up');
    const firstCaller = new AbortController();
    const first = runInCall(firstCaller.signal, () => create('pvc-a'));
    const other = create('pvc-b');
    firstCaller.abort();
    await assert.rejects(first, CallAbandoned);
    const retry = runInCall(new AbortController().signal, () => create('pvc-a'));
    t.mock.timers.tick(1000);
    await retry;
    assert.deepEqual(stub.inputsOf('CreateVolume').map((i) => i.ClientToken), ['warm-up', 'pvc-a'],
      'the abandoned attempt sent nothing; its retry went in its place, before pvc-b');
    t.mock.timers.tick(1000);
    await other;
    assert.equal(stub.count('CreateVolume'), 3);
  });

  it('mounts nothing once the caller has gone, and says so with DEADLINE_EXCEEDED', async () => {
    const ran: string[] = [];
    const exec: Exec = (command, args) => { ran.push([command, ...args].join(' ')); return Promise.resolve({ stdout: '', stderr: '', exitCode: 0 }); };
    const mounter = new Mounter(exec);
    const err = await runInCall(aborted(), () => mounter.bind('/staging', '/target', false).then(() => undefined, (e: unknown) => e));
    assert.ok(err instanceof CallAbandoned);
    assert.equal(toGrpcFailure(err).code, status.DEADLINE_EXCEEDED);
    assert.deepEqual(ran, []);
    await mounter.bind('/staging', '/target', false);
    assert.deepEqual(ran, ['mount --bind /staging /target'], 'outside an abandoned call it mounts');
  });
});
