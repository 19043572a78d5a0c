// A small Kubernetes REST client for the e2e tests: get, list, create, server-side apply, patch,
// delete and wait, for any kind the API server serves (it finds each kind's resource path by
// discovery, so CRDs work once established), authenticated by client certificate or bearer token.
// Written here rather than taken from @kubernetes/client-node: its current major needs Node 22
// (undici 8) and brings @types/node 26, while the tests run on Node 20 with Node 20 types.
import { Agent, request } from 'node:https';
import type { KubeObject, ObjectRef, Status } from './types.js';

export interface KubeCredentials {
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly token?: string;
}

export class KubeApiError extends Error {
  constructor(message: string, readonly status: number, readonly reason: string) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeApiError && err.status === 404;

interface ResourceInfo {
  readonly name: string;
  readonly namespaced: boolean;
}

interface ApiResourceList {
  readonly resources?: readonly { readonly name: string; readonly kind: string; readonly namespaced: boolean }[];
}

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

const FIELD_MANAGER = 'ebs-csi-e2e';

export class KubeClient {
  private readonly agent: Agent;
  private readonly url: URL;
  private readonly discovered = new Map<string, Map<string, ResourceInfo>>();

  constructor(readonly credentials: KubeCredentials) {
    this.url = new URL(credentials.server);
    this.agent = new Agent({
      keepAlive: true, ca: credentials.ca,
      ...(credentials.cert && credentials.key ? { cert: credentials.cert, key: credentials.key } : {}),
    });
  }

  close(): void {
    this.agent.destroy();
  }

  /** One API call; resolves the parsed JSON body (or the text when it is not JSON), throws KubeApiError on non-2xx. */
  request(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    const query = options.query ? `?${new URLSearchParams(options.query).toString()}` : '';
    const body = options.body === undefined ? undefined
      : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      // Node sends a DELETE body neither chunked nor with a length unless told: the server would
      // read it as the start of the next request on the kept-alive connection.
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    if (this.credentials.token) headers.Authorization = `Bearer ${this.credentials.token}`;
    return new Promise((resolve, reject) => {
      const req = request({
        host: this.url.hostname, port: this.url.port, path: `${path}${query}`, method, headers, agent: this.agent,
        timeout: options.timeoutMs ?? 30_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text) as unknown;
          } catch {
            // Not JSON (e.g. /readyz answers "ok").
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(parsed);
            return;
          }
          const s = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Status;
          reject(new KubeApiError(`${method} ${path}: HTTP ${status} ${s.reason ?? ''}: ${s.message ?? text.slice(0, 500)}`, status, s.reason ?? ''));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${options.timeoutMs ?? 30_000} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  private async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const cached = this.discovered.get(apiVersion)?.get(kind);
    if (cached) return cached;
    // Not known yet, or a CRD established since the last look: (re)discover this group version.
    const list = await this.request('GET', apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`) as ApiResourceList;
    const kinds = new Map<string, ResourceInfo>();
    for (const r of list.resources ?? []) {
      if (!r.name.includes('/')) kinds.set(r.kind, { name: r.name, namespaced: r.namespaced });
    }
    this.discovered.set(apiVersion, kinds);
    const info = kinds.get(kind);
    if (!info) throw new Error(`the API server serves no kind ${kind} in ${apiVersion}`);
    return info;
  }

  /** The REST path of a kind (collection), or of one object with `name`, optionally a subresource of it. */
  async pathOf(ref: { readonly apiVersion: string; readonly kind: string; readonly namespace?: string; readonly name?: string }, subresource?: string): Promise<string> {
    const info = await this.resource(ref.apiVersion, ref.kind);
    const base = ref.apiVersion === 'v1' ? '/api/v1' : `/apis/${ref.apiVersion}`;
    if (info.namespaced && !ref.namespace && ref.name) throw new Error(`${ref.kind} ${ref.name} needs a namespace`);
    const ns = info.namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
    const name = ref.name ? `/${encodeURIComponent(ref.name)}` : '';
    return `${base}${ns}/${info.name}${name}${subresource ? `/${subresource}` : ''}`;
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T> {
    return await this.request('GET', await this.pathOf(ref)) as T;
  }

  /** get, or undefined when the object does not exist. */
  async find<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await this.get<T>(ref);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject>(apiVersion: string, kind: string, options: ListOptions = {}): Promise<T[]> {
    const query: Record<string, string> = {};
    if (options.labelSelector) query.labelSelector = options.labelSelector;
    if (options.fieldSelector) query.fieldSelector = options.fieldSelector;
    const path = await this.pathOf({ apiVersion, kind, ...(options.namespace ? { namespace: options.namespace } : {}) });
    const out = await this.request('GET', path, { query }) as { items?: T[] };
    return out.items ?? [];
  }

  async create<T extends KubeObject>(object: T): Promise<T> {
    const path = await this.pathOf({ apiVersion: object.apiVersion, kind: object.kind, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) });
    return await this.request('POST', path, { body: object }) as T;
  }

  /** Server-side apply: creates the object or makes its applied fields match. */
  async apply<T extends KubeObject>(object: T): Promise<T> {
    const path = await this.pathOf(refOf(object));
    return await this.request('PATCH', path, {
      body: object, contentType: 'application/apply-patch+yaml', query: { fieldManager: FIELD_MANAGER, force: 'true' },
    }) as T;
  }

  /** JSON merge patch of an object (or of its status subresource). */
  async patch<T extends KubeObject>(ref: ObjectRef, patch: unknown, subresource?: string): Promise<T> {
    return await this.request('PATCH', await this.pathOf(ref, subresource), { body: patch, contentType: 'application/merge-patch+json' }) as T;
  }

  /** Deletes; false when it was already gone. gracePeriodSeconds 0 deletes a pod no kubelet will confirm. */
  async delete(ref: ObjectRef, options: { readonly gracePeriodSeconds?: number } = {}): Promise<boolean> {
    try {
      await this.request('DELETE', await this.pathOf(ref), {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', ...options },
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** A token for a ServiceAccount from the TokenRequest API (what kubelet mounts into a pod). */
  async createToken(namespace: string, serviceAccount: string, expirationSeconds = 3600): Promise<string> {
    const out = await this.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } },
    }) as { status?: { token?: string } };
    const token = out.status?.token;
    if (!token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
    return token;
  }

  /**
   * Polls the object until `done` says so; resolves its last state. On timeout the error names
   * `what` and shows the last state seen, which is usually the answer to why.
   */
  async waitFor<T extends KubeObject>(ref: ObjectRef, what: string, done: (object: T | undefined) => boolean, timeoutMs = 60_000): Promise<T | undefined> {
    const until = Date.now() + timeoutMs;
    let delay = 50;
    let last: T | undefined;
    for (;;) {
      last = await this.find<T>(ref);
      if (done(last)) return last;
      if (Date.now() > until) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} is ${last ? JSON.stringify({ spec: (last as { spec?: unknown }).spec, status: (last as { status?: unknown }).status }) : 'absent'}`);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
  }

  /** Waits for the object to exist and satisfy `done`; resolves it. */
  async waitUntil<T extends KubeObject>(ref: ObjectRef, what: string, done: (object: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const found = await this.waitFor<T>(ref, what, (o) => o !== undefined && done(o), timeoutMs);
    if (!found) throw new Error(`${what}: the object vanished`);
    return found;
  }

  async waitGone(ref: ObjectRef, what: string, timeoutMs = 60_000): Promise<void> {
    await this.waitFor(ref, what, (o) => o === undefined, timeoutMs);
  }
}

export const refOf = (object: KubeObject): ObjectRef => ({
  apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name,
  ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
});
