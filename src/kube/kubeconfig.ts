// --kubeconfig: the current context of a kubeconfig file (YAML or JSON), as kubectl reads it.
// Supported: server, certificate-authority(-data), insecure-skip-tls-verify, tls-server-name;
// token, tokenFile, client-certificate(-data)/client-key(-data), and exec credential plugins
// (e.g. `aws eks get-token`). Paths in the file are relative to the file's folder. Anything
// else the driver cannot honour (auth-provider, username/password) is refused by name.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type * as Yaml from 'yaml';
import { KubeConfigError, fileTokenSource, type KubeConnection, type TokenSource } from './connection.js';

type Dict = Readonly<Record<string, unknown>>;
type YamlModule = typeof Yaml;

const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (d: Dict, key: string): string | undefined => (typeof d[key] === 'string' && d[key] !== '' ? d[key] : undefined);

function named(list: unknown, kind: string, name: string, field: string, file: string): Dict {
  const entries = Array.isArray(list) ? list.filter(isDict) : [];
  const entry = entries.find((e) => e.name === name);
  const body = entry?.[field];
  if (!isDict(body)) {
    const known = entries.map((e) => String(e.name)).join(', ') || 'none';
    throw new KubeConfigError(`${file}: no ${kind} named "${name}" (${kind}s: ${known})`);
  }
  return body;
}

async function dataOrFile(d: Dict, dataKey: string, fileKey: string, base: string): Promise<Buffer | undefined> {
  const data = str(d, dataKey);
  if (data) return Buffer.from(data, 'base64');
  const path = str(d, fileKey);
  return path ? readFile(isAbsolute(path) ? path : join(base, path)) : undefined;
}

interface ExecCredential {
  readonly token: string;
  readonly expiresAt?: number;
}

function runExec(command: string, args: readonly string[], env: NodeJS.ProcessEnv, file: string): Promise<ExecCredential> {
  return new Promise((resolve, reject) => {
    // argv, never a shell; a plugin that hangs must not hang the driver.
    execFile(command, [...args], { env, timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new KubeConfigError(`${file}: the exec credential plugin ${command} failed: ${err.message.split('\n')[0] ?? ''} ${stderr.slice(0, 300)}`.trim()));
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(stdout);
      } catch {
        reject(new KubeConfigError(`${file}: the exec credential plugin ${command} printed no ExecCredential JSON`));
        return;
      }
      const status = isDict(parsed) && isDict(parsed.status) ? parsed.status : {};
      const token = str(status, 'token');
      if (!token) {
        reject(new KubeConfigError(`${file}: the exec credential plugin ${command} returned no status.token (client certificates from plugins are not supported)`));
        return;
      }
      const expiry = str(status, 'expirationTimestamp');
      const expiresAt = expiry ? Date.parse(expiry) : NaN;
      resolve({ token, ...(Number.isFinite(expiresAt) ? { expiresAt } : {}) });
    });
  });
}

/** Runs the plugin when there is no token yet or the last one is about to expire. */
function execTokenSource(exec: Dict, file: string): TokenSource {
  const command = str(exec, 'command');
  if (!command) throw new KubeConfigError(`${file}: user.exec.command is missing`);
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const extraEnv = Array.isArray(exec.env) ? exec.env.filter(isDict) : [];
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const e of extraEnv) if (typeof e.name === 'string') env[e.name] = typeof e.value === 'string' ? e.value : '';
  let current: ExecCredential | undefined;
  return async () => {
    if (!current || (current.expiresAt !== undefined && current.expiresAt - Date.now() < 10_000)) {
      current = await runExec(command, args, env, file);
    }
    return current.token;
  };
}

/** Parses YAML (a superset of JSON); the parser loads only when a kubeconfig is given. */
async function parseDocument(text: string, file: string): Promise<Dict> {
  // The bundle loads yaml's CommonJS build: its functions may sit on the default export.
  const yaml = await import('yaml') as YamlModule & { default?: YamlModule };
  const parse = typeof yaml.parse === 'function' ? yaml.parse : yaml.default?.parse;
  if (!parse) throw new KubeConfigError('the YAML parser did not load');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeConfigError(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  if (!isDict(doc)) throw new KubeConfigError(`${file} holds no kubeconfig object`);
  return doc;
}

export async function kubeconfigConnection(file: string, context?: string): Promise<KubeConnection> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new KubeConfigError(`cannot read --kubeconfig ${file}: ${(err as Error).message}`);
  }
  const doc = await parseDocument(text, file);
  const base = dirname(file);
  const contextName = context ?? str(doc, 'current-context');
  if (!contextName) throw new KubeConfigError(`${file} has no current-context`);
  const ctx = named(doc.contexts, 'context', contextName, 'context', file);
  const clusterName = str(ctx, 'cluster');
  if (!clusterName) throw new KubeConfigError(`${file}: context "${contextName}" names no cluster`);
  const cluster = named(doc.clusters, 'cluster', clusterName, 'cluster', file);
  const userName = str(ctx, 'user');
  const user = userName ? named(doc.users, 'user', userName, 'user', file) : {};

  const serverText = str(cluster, 'server');
  if (!serverText) throw new KubeConfigError(`${file}: cluster "${clusterName}" has no server`);
  let server: URL;
  try {
    server = new URL(serverText);
  } catch {
    throw new KubeConfigError(`${file}: cluster "${clusterName}" server "${serverText}" is not a URL`);
  }
  if (server.protocol !== 'https:' && server.protocol !== 'http:') {
    throw new KubeConfigError(`${file}: cluster "${clusterName}" server must be https:// (or http://); got "${serverText}"`);
  }
  for (const unsupported of ['auth-provider', 'username', 'password']) {
    if (user[unsupported] !== undefined) throw new KubeConfigError(`${file}: user "${userName ?? ''}" uses ${unsupported}, which the driver does not support; use a token, tokenFile, a client certificate or exec`);
  }

  const ca = await dataOrFile(cluster, 'certificate-authority-data', 'certificate-authority', base);
  const clientCert = await dataOrFile(user, 'client-certificate-data', 'client-certificate', base);
  const clientKey = await dataOrFile(user, 'client-key-data', 'client-key', base);
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    throw new KubeConfigError(`${file}: user "${userName ?? ''}" needs both a client certificate and its key`);
  }
  const staticToken = str(user, 'token');
  const tokenFile = str(user, 'tokenFile');
  let token: TokenSource | undefined;
  if (staticToken) token = () => Promise.resolve(staticToken);
  else if (tokenFile) token = fileTokenSource(isAbsolute(tokenFile) ? tokenFile : join(base, tokenFile));
  else if (isDict(user.exec)) token = execTokenSource(user.exec, file);
  const tlsServerName = str(cluster, 'tls-server-name');
  return {
    server,
    ...(ca ? { ca } : {}),
    ...(cluster['insecure-skip-tls-verify'] === true ? { insecureSkipTlsVerify: true } : {}),
    ...(tlsServerName ? { tlsServerName } : {}),
    ...(clientCert && clientKey ? { clientCert, clientKey } : {}),
    ...(token ? { token } : {}),
    description: `kubeconfig ${file}, context ${contextName}`,
  };
}
