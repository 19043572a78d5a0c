// The certificates and keys a test control plane needs, made with openssl (argv, no shell) into
// its state directory: a CA, a serving certificate for 127.0.0.1 (API server, controller-manager,
// scheduler), client certificates for the admin (group system:masters), the controller-manager
// and the scheduler (the identities the bootstrap RBAC policy knows), and the key pair the API
// server signs and verifies ServiceAccount tokens with. A kubelet joining the control plane gets
// its own client certificate on demand (issueNodeCertificate).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export interface Pki {
  readonly dir: string;
  /** CA certificate path. */
  readonly ca: string;
  /** CA private key path (for certificates issued later, e.g. a kubelet's). */
  readonly caKey: string;
  readonly server: KeyPair;
  readonly admin: KeyPair;
  readonly controllerManager: KeyPair;
  readonly scheduler: KeyPair;
  /** ServiceAccount token signing key (private) and its public key. */
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await execFileAsync('openssl', [...args]);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0] ?? ''} failed: ${e.stderr ?? e.message}`);
  }
}

/** A P-256 key and a certificate signed by the CA (valid 2 days). */
async function issue(dir: string, name: string, subject: string, extensions: readonly string[], ca: KeyPair): Promise<KeyPair> {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', pair.key, '-out', pair.cert, '-subj', subject, '-days', '2',
    '-CA', ca.cert, '-CAkey', ca.key,
    ...extensions.flatMap((e) => ['-addext', e]),
  ]);
  return pair;
}

const CLIENT_EXTENSIONS = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'];

export async function makePki(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', ca.key, '-out', ca.cert, '-subj', '/CN=ebs-csi-e2e-ca', '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const client = CLIENT_EXTENSIONS;
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPub = join(dir, 'sa.pub');
  const [server, admin, controllerManager, scheduler] = await Promise.all([
    issue(dir, 'server', '/CN=kube-apiserver', [
      'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
    ], ca),
    issue(dir, 'admin', '/O=system:masters/CN=ebs-csi-e2e-admin', client, ca),
    issue(dir, 'controller-manager', '/CN=system:kube-controller-manager', client, ca),
    issue(dir, 'scheduler', '/CN=system:kube-scheduler', client, ca),
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', serviceAccountKey])
      .then(() => openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub])),
  ]);
  if (!server || !admin || !controllerManager || !scheduler) throw new Error('certificate generation returned too few results');
  return { dir, ca: ca.cert, caKey: ca.key, server, admin, controllerManager, scheduler, serviceAccountKey, serviceAccountPub };
}

/**
 * A kubelet's client certificate: user system:node:<name> in group system:nodes, the identity
 * the Node authorizer and the NodeRestriction admission plugin grant exactly its own Node's rights.
 */
export async function issueNodeCertificate(pki: Pki, nodeName: string): Promise<KeyPair> {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(nodeName)) throw new Error(`"${nodeName}" is not a valid Node name`);
  return issue(pki.dir, `node-${nodeName}`, `/O=system:nodes/CN=system:node:${nodeName}`, CLIENT_EXTENSIONS, { cert: pki.ca, key: pki.caKey });
}

/** The PEM contents of a certificate or key file. */
export const pem = (path: string): Buffer => readFileSync(path);
