// What the controller handlers need from the outside: the cloud seam and the driver's
// identity and tagging options. Nothing else: the handlers keep no state of their own.
import type { Cloud } from '../../cloud/types.js';

export interface ControllerDeps {
  readonly cloud: Cloud;
  readonly driverName: string;
  /** --k8s-tag-cluster-id: adds the cluster ownership tags to every volume. */
  readonly clusterId?: string;
  /** --extra-tags: added to every volume (already validated). */
  readonly extraTags: Readonly<Record<string, string>>;
}
