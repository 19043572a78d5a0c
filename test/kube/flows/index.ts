// Every storage flow the e2e stage runs on each Kubernetes minor, in order.
import type { Flow } from '../suite.js';
import { attachFlow } from './attach.js';
import { attachLimitRefreshFlow } from './attach-limit-refresh.js';
import { attributesClassFlow, expansionFlow } from './expansion.js';
import { immediateFlow } from './immediate.js';
import { noLeaksFlow } from './no-leaks.js';
import { reclaimFlow } from './reclaim.js';
import { restartDuringAttachFlow, restartDuringProvisioningFlow } from './restarts.js';
import { sidecarLogsFlow } from './sidecar-logs.js';
import { snapshotFlow } from './snapshots.js';
import { userErrorsFlow } from './user-errors.js';
import { waitForConsumerFlow } from './wait-for-consumer.js';

export const FLOWS: readonly Flow[] = [
  immediateFlow, waitForConsumerFlow, attachFlow, attachLimitRefreshFlow, snapshotFlow, expansionFlow, attributesClassFlow, reclaimFlow,
  userErrorsFlow, restartDuringProvisioningFlow, restartDuringAttachFlow, noLeaksFlow, sidecarLogsFlow,
];
