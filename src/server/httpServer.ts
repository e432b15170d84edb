// The operations port: liveness, readiness and Prometheus metrics.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Readiness {
  /** Empty when ready; otherwise the reasons it is not. */
  notReadyReasons(): Promise<string[]>;
}

/** Extra routes (the admin API); returns true when it handled the request. */
export type OpsRoute = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean;

export class OpsListener {
  private readonly server: http.Server;

  constructor(readiness: Readiness, registry: Registry, extra?: OpsRoute) {
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://ops');
      if (extra?.(req, res, url)) return;
      const path = url.pathname;
      const reply = (status: number, contentType: string, body: string) => {
        res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'text/plain', 'method not allowed\n');
      if (path === '/healthz') return reply(200, 'text/plain', 'ok\n');
      if (path === '/readyz') {
        void readiness.notReadyReasons().then((reasons) =>
          reasons.length ? reply(503, 'text/plain', `not ready: ${reasons.join('; ')}\n`) : reply(200, 'text/plain', 'ready\n'),
        );
        return;
      }
      if (path === '/metrics') {
        void registry.metrics().then(
          (text) => reply(200, registry.contentType, text),
          (err: Error) => reply(500, 'text/plain', `metrics failed: ${err.message}\n`),
        );
        return;
      }
      reply(404, 'text/plain', 'not found\n');
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
