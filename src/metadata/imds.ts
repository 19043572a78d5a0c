// Node identity from the EC2 instance metadata service, IMDSv2 only: one session token,
// then a few reads. The SDK client honours AWS_EC2_METADATA_SERVICE_ENDPOINT, which is
// how tests point it at a local server. Timeouts are short: a node that is not on EC2
// must fall through to the Kubernetes source quickly, not hang start-up.
import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { INSTANCE_ID, type NodeIdentity } from './types.js';

export interface ImdsOptions {
  /** Defaults to the SDK's own resolution (environment, profile, then the link-local address). */
  readonly endpoint?: string;
  /** Per-request timeout (default 1 s). */
  readonly timeoutMs?: number;
}

interface IdentityDocument {
  readonly instanceId?: unknown;
  readonly instanceType?: unknown;
  readonly availabilityZone?: unknown;
  readonly region?: unknown;
}

const TOKEN_HEADER = 'x-aws-ec2-metadata-token';

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Counts `ebsN` entries of block-device-mapping/ (the root shows as "ami" and "root"). */
export function countExtraBootVolumes(listing: string): number {
  return listing.split('\n').map((l) => l.trim()).filter((l) => /^ebs\d+$/.test(l)).length;
}

export function countNetworkInterfaces(listing: string): number {
  return listing.split('\n').map((l) => l.trim()).filter((l) => l.length > 0).length;
}

/** One IMDSv2 session: a token, then reads that send it. */
async function imdsSession(options: ImdsOptions): Promise<(path: string) => Promise<string>> {
  const service = new MetadataService({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    httpOptions: { timeout: options.timeoutMs ?? 1000 },
    retries: 1,
    backoff: 0.1,
    // We fetch the IMDSv2 token once ourselves and send it with every read; the client
    // would otherwise fetch a fresh token per read.
    disableFetchToken: true,
    ec2MetadataV1Disabled: false,
  });
  const token = await service.fetchMetadataToken();
  // The client appends this to the endpoint URL's path, which already ends in "/".
  return (path: string): Promise<string> => service.request(`latest/${path}`, { headers: { [TOKEN_HEADER]: token } });
}

/**
 * Network interfaces attached now. Interfaces can be attached after boot (e.g. by the VPC CNI);
 * on shared-limit types each one takes an EBS slot, so NodeGetInfo asks again each time.
 */
export async function networkInterfacesFromImds(options: ImdsOptions = {}): Promise<number> {
  const read = await imdsSession(options);
  return Math.max(1, countNetworkInterfaces(await read('meta-data/network/interfaces/macs/')));
}

export async function identityFromImds(options: ImdsOptions = {}): Promise<NodeIdentity> {
  const read = await imdsSession(options);
  const readOptional = (path: string): Promise<string | undefined> => read(path).catch(() => undefined);

  const [documentText, outpostArn, mappings, macs] = await Promise.all([
    read('dynamic/instance-identity/document'),
    readOptional('meta-data/outpost-arn'),
    readOptional('meta-data/block-device-mapping/'),
    readOptional('meta-data/network/interfaces/macs/'),
  ]);
  let document: IdentityDocument;
  try {
    document = JSON.parse(documentText) as IdentityDocument;
  } catch {
    throw new Error('the instance identity document from IMDS is not JSON');
  }
  const instanceId = optionalString(document.instanceId);
  const availabilityZone = optionalString(document.availabilityZone);
  if (!instanceId || !INSTANCE_ID.test(instanceId)) {
    throw new Error(`IMDS reported no valid instance id (got ${JSON.stringify(document.instanceId)})`);
  }
  if (!availabilityZone) throw new Error('IMDS reported no availability zone');
  const instanceType = optionalString(document.instanceType);
  const region = optionalString(document.region);
  const arn = optionalString(outpostArn?.trim());
  return {
    source: 'imds',
    instanceId,
    availabilityZone,
    ...(region ? { region } : {}),
    ...(instanceType ? { instanceType } : {}),
    ...(arn ? { outpostArn: arn } : {}),
    ...(mappings !== undefined ? { extraBootVolumes: countExtraBootVolumes(mappings) } : {}),
    ...(macs !== undefined ? { networkInterfaces: Math.max(1, countNetworkInterfaces(macs)) } : {}),
  };
}
