// The storage flows on the newest Kubernetes release the Go module proxy serves.
import { FLOWS } from './flows/index.js';
import { pinnedVersion } from '../support/kube/versions.js';
import { e2eSuite } from './suite.js';

e2eSuite(pinnedVersion(37), FLOWS);
