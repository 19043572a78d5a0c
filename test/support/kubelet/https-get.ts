// A GET over HTTPS that verifies the server against a given CA (fetch cannot take one), with
// an optional client certificate: how the tests read the kubelet's API (/pods, /metrics).
import { request } from 'node:https';

export interface TlsOptions {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
  /** The name to check the server's certificate against, when not the URL's host. */
  readonly servername?: string;
}

export interface HttpsAnswer {
  readonly status: number;
  readonly body: string;
}

export function httpsGet(url: string, tls: TlsOptions, timeoutMs = 10_000): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET', ca: tls.ca, timeout: timeoutMs,
      ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}), ...(tls.servername ? { servername: tls.servername } : {}),
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} took longer than ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
