// A scripted stand-in for EC2Client, for unit tests of behaviour moto cannot show (states in
// transition, throttling, token mismatch). Each action answers through a handler the test
// sets; an action without a handler fails the test, so no call goes unnoticed.
import type * as sdk from '@aws-sdk/client-ec2';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { pino } from 'pino';
import type { Ec2Api, Ec2Command } from '../../../src/cloud/ec2/api.js';
import { Ec2Cloud, type Ec2Tuning } from '../../../src/cloud/ec2/ec2-cloud.js';
import { Metrics } from '../../../src/metrics/registry.js';

interface Actions {
  DescribeVolumes: [sdk.DescribeVolumesCommandInput, sdk.DescribeVolumesCommandOutput];
  DescribeInstances: [sdk.DescribeInstancesCommandInput, sdk.DescribeInstancesCommandOutput];
  DescribeInstanceTypes: [sdk.DescribeInstanceTypesCommandInput, sdk.DescribeInstanceTypesCommandOutput];
  DescribeSnapshots: [sdk.DescribeSnapshotsCommandInput, sdk.DescribeSnapshotsCommandOutput];
  DescribeVolumesModifications: [sdk.DescribeVolumesModificationsCommandInput, sdk.DescribeVolumesModificationsCommandOutput];
  DescribeAvailabilityZones: [sdk.DescribeAvailabilityZonesCommandInput, sdk.DescribeAvailabilityZonesCommandOutput];
  CreateVolume: [sdk.CreateVolumeCommandInput, sdk.CreateVolumeCommandOutput];
  CopyVolumes: [sdk.CopyVolumesCommandInput, sdk.CopyVolumesCommandOutput];
  DeleteVolume: [sdk.DeleteVolumeCommandInput, sdk.DeleteVolumeCommandOutput];
  AttachVolume: [sdk.AttachVolumeCommandInput, sdk.AttachVolumeCommandOutput];
  DetachVolume: [sdk.DetachVolumeCommandInput, sdk.DetachVolumeCommandOutput];
  ModifyVolume: [sdk.ModifyVolumeCommandInput, sdk.ModifyVolumeCommandOutput];
  CreateSnapshot: [sdk.CreateSnapshotCommandInput, sdk.CreateSnapshotCommandOutput];
  DeleteSnapshot: [sdk.DeleteSnapshotCommandInput, sdk.DeleteSnapshotCommandOutput];
  CreateTags: [sdk.CreateTagsCommandInput, sdk.CreateTagsCommandOutput];
  DeleteTags: [sdk.DeleteTagsCommandInput, sdk.DeleteTagsCommandOutput];
  DescribeVolumeStatus: [sdk.DescribeVolumeStatusCommandInput, sdk.DescribeVolumeStatusCommandOutput];
  EnableFastSnapshotRestores: [sdk.EnableFastSnapshotRestoresCommandInput, sdk.EnableFastSnapshotRestoresCommandOutput];
  LockSnapshot: [sdk.LockSnapshotCommandInput, sdk.LockSnapshotCommandOutput];
}
export type Action = keyof Actions;
type Output<A extends Action> = Omit<Actions[A][1], '$metadata'>;
/** Answers one call; `nth` counts this action's calls from 1. Throw to fail the call. */
export type Handler<A extends Action> = (input: Actions[A][0], nth: number) => Output<A> | Promise<Output<A>>;

export interface Call {
  readonly action: string;
  readonly input: unknown;
}

export class StubEc2 implements Ec2Api {
  readonly calls: Call[] = [];
  private readonly handlers = new Map<string, (input: unknown, nth: number) => unknown>();

  on<A extends Action>(action: A, handler: NoInfer<Handler<A>>): this {
    this.handlers.set(action, handler as (input: unknown, nth: number) => unknown);
    return this;
  }

  async send<I extends sdk.ServiceInputTypes, O extends sdk.ServiceOutputTypes>(command: Ec2Command<I, O>): Promise<O> {
    const action = command.constructor.name.replace(/Command$/, '');
    this.calls.push({ action, input: command.input });
    const handler = this.handlers.get(action);
    if (!handler) throw new Error(`test did not expect EC2 ${action}`);
    const output = await handler(command.input, this.calls.filter((c) => c.action === action).length);
    return { $metadata: {}, ...(output as object) } as O;
  }

  count(action?: Action): number {
    return action === undefined ? this.calls.length : this.calls.filter((c) => c.action === action).length;
  }

  inputsOf<A extends Action>(action: A): Actions[A][0][] {
    return this.calls.filter((c) => c.action === action).map((c) => c.input as Actions[A][0]);
  }
}

/** An error shaped like the SDK's for an EC2 error response. */
export function awsError(code: string, message = `${code} happened`, status = code === 'DryRunOperation' ? 412 : 400): EC2ServiceException {
  return new EC2ServiceException({
    name: code,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

/**
 * What the SDK throws for moto's answer to an action it lacks: an HTML 500 page, so no EC2
 * error code, and the unparsed body kept on the error.
 */
export function unparsableServerError(): Error {
  return Object.assign(new Error('XML parse error: mismatched tags <html> and </title>. Deserialization error'), {
    $metadata: { httpStatusCode: 500 },
    $responseBodyText: '<!doctype html><html lang=en><title>500 Internal Server Error</title></html>',
  });
}

/** Fast policies so tests run in milliseconds; waits give up after `timeoutMs`. */
export function fastTuning(timeoutMs = 300): Ec2Tuning {
  return {
    coalesceWindowMs: 2,
    coalesceMaxBatch: 500,
    retry: { retries: 3, minDelayMs: 1, maxDelayMs: 4, factor: 2 },
    wait: { initialDelayMs: 2, maxDelayMs: 10, factor: 2, timeoutMs },
  };
}

export function makeCloud(stub: StubEc2, tuning: Ec2Tuning = fastTuning()): { cloud: Ec2Cloud; metrics: Metrics } {
  const metrics = new Metrics(false);
  const cloud = new Ec2Cloud(stub, metrics, pino({ level: 'silent' }), tuning);
  return { cloud, metrics };
}

/** The value of ec2_api_calls_total for one action and outcome. */
export async function callsCounted(metrics: Metrics, action: string, outcome: string): Promise<number> {
  const metric = await metrics.ec2Calls.get();
  return metric.values.find((v) => v.labels.action === action && v.labels.outcome === outcome)?.value ?? 0;
}

let nextId = 0x1000;
export const newVolumeId = (): string => `vol-${(nextId++).toString(16).padStart(17, '0')}`;

export function volume(fields: Partial<sdk.Volume> & { VolumeId: string }): sdk.Volume {
  return {
    Size: 10, AvailabilityZone: 'us-east-1a', State: 'available', VolumeType: 'gp3', Encrypted: false,
    MultiAttachEnabled: false, Attachments: [], Tags: [], ...fields,
  };
}

export function instance(instanceId: string, devices: readonly string[] = ['/dev/xvda'], zone = 'us-east-1a', cards: readonly number[] = []): sdk.Instance {
  return {
    InstanceId: instanceId, InstanceType: 'm5.large', State: { Name: 'running', Code: 16 }, Placement: { AvailabilityZone: zone },
    BlockDeviceMappings: devices.map((DeviceName, i) => ({
      DeviceName, Ebs: { VolumeId: newVolumeId(), Status: 'attached', ...(cards[i] !== undefined ? { EbsCardIndex: cards[i] } : {}) },
    })),
  };
}

/** DescribeVolumes handler answering from a table, honouring volume-id and tag filters. */
export function volumesFrom(table: () => readonly sdk.Volume[]): Handler<'DescribeVolumes'> {
  return (input) => {
    const filters = input.Filters ?? [];
    const matches = (v: sdk.Volume): boolean => filters.every((f) => {
      const values = f.Values ?? [];
      if (f.Name === 'volume-id') return values.includes(v.VolumeId ?? '');
      if (f.Name?.startsWith('tag:')) {
        const key = f.Name.slice(4);
        return (v.Tags ?? []).some((t) => t.Key === key && values.includes(t.Value ?? ''));
      }
      throw new Error(`stub does not know filter ${f.Name}`);
    });
    return { Volumes: table().filter(matches) };
  };
}
