// kubeconfig files for the processes of a test cluster: one with client certificates (admin,
// controller-manager, scheduler) and one per ServiceAccount with a token from the TokenRequest API.
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export interface KubeconfigUser {
  readonly clientCertificate?: string;
  readonly clientKey?: string;
  readonly token?: string;
}

/** Writes a kubeconfig (mode 0600: it holds credentials) and returns its path. */
export function writeKubeconfig(path: string, server: string, caFile: string, user: KubeconfigUser, namespace = 'default'): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority': caFile } }],
    users: [{
      name: 'e2e',
      user: {
        ...(user.clientCertificate ? { 'client-certificate': user.clientCertificate } : {}),
        ...(user.clientKey ? { 'client-key': user.clientKey } : {}),
        ...(user.token ? { token: user.token } : {}),
      },
    }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'e2e', namespace } }],
    'current-context': 'e2e',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}
