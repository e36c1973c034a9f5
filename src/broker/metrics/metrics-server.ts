// The Prometheus scrape endpoint of `seqlog serve --metrics-port`: GET /metrics answers the registry's text
// exposition (Kafka brokers get the same from the JMX exporter's HTTP agent). Nothing else is served.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { listenHttp } from './http-listener.ts';

export interface MetricsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `registry` at http://host:port/metrics; port 0 picks a free port. */
export async function startMetricsServer(registry: Registry, options: { host?: string; port: number }): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${String(error)}\n`),
    );
  });
  const listener = await listenHttp(server, host, options.port);
  return { port: listener.port, url: `${listener.origin}/metrics`, close: () => listener.close() };
}
