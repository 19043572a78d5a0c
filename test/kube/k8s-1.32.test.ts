// The storage flows on the oldest Kubernetes minor EKS still supports.
import { FLOWS } from './flows/index.js';
import { pinnedVersion } from '../support/kube/versions.js';
import { e2eSuite } from './suite.js';

e2eSuite(pinnedVersion(32), FLOWS);
