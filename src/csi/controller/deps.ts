// What the controller handlers need from the outside: the cloud seam and the driver's
// identity and tagging options. Nothing else: the handlers keep no state of their own.
import type { Cloud } from '../../cloud/types.js';
import type { Logger } from '../../logger.js';
import type { TagPolicy } from '../params/tagTemplate.js';

export interface ControllerDeps {
  readonly cloud: Cloud;
  readonly driverName: string;
  /** --k8s-tag-cluster-id: adds the cluster ownership tags to every volume. */
  readonly clusterId?: string;
  /** --extra-tags: added to every volume and snapshot (keys checked; values may be templates). */
  readonly extraTags: Readonly<Record<string, string>>;
  /** --extra-volume-tags: added to every volume, under --extra-tags. */
  readonly extraVolumeTags?: Readonly<Record<string, string>>;
  /** --warn-on-invalid-tag: an invalid tag is left out with a warning instead of failing the request. */
  readonly warnOnInvalidTag?: boolean;
}

/** How one request treats invalid tags; warnings go to the request's log. */
export function tagPolicyFor(deps: Pick<ControllerDeps, 'warnOnInvalidTag'>, log: Logger): TagPolicy {
  return { warnOnly: deps.warnOnInvalidTag === true, warn: (fields, message) => log.warn(fields, message) };
}
