// The chart values the kubelet stage installs with (on top of what the harness sets: the
// controller's emulator endpoint, the node DaemonSet's kubelet path and metadata endpoint). Every
// key exists in this chart and the reference chart: storageClasses only.
import type { ChartValues } from '../../support/kube/chart.js';

/** StorageClass names the flows use; WaitForFirstConsumer (the chart's default), expansion allowed. */
export const SC = {
  ext4: 'kubelet-ext4',
  xfs: 'kubelet-xfs',
} as const;

export const KUBELET_VALUES: ChartValues = {
  storageClasses: [
    { name: SC.ext4, parameters: { type: 'gp3', 'csi.storage.k8s.io/fstype': 'ext4' } },
    { name: SC.xfs, parameters: { type: 'gp3', 'csi.storage.k8s.io/fstype': 'xfs' } },
  ],
};
