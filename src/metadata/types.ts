// Who this node is: what NodeGetInfo reports and what the attach limit is computed from.

export interface NodeIdentity {
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly region?: string;
  readonly instanceType?: string;
  readonly outpostArn?: string;
  /** EBS volumes in the launch block-device mappings besides the root volume. */
  readonly extraBootVolumes?: number;
  /** Network interfaces attached, the primary included. */
  readonly networkInterfaces?: number;
  /** Where the identity came from, for the start-up log. */
  readonly source: 'imds' | 'kubernetes';
}

export const INSTANCE_ID = /^i-[0-9a-f]{8,32}$/;

/** --metadata-sources values (the reference's metadata-labeler source is not supported). */
export const METADATA_SOURCES = ['imds', 'kubernetes'] as const;
export type MetadataSource = (typeof METADATA_SOURCES)[number];
export const DEFAULT_METADATA_SOURCES: readonly MetadataSource[] = ['imds', 'kubernetes'];
