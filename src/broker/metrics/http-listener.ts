// Listening and closing for the broker's small HTTP sides (the metrics endpoint and the web console): bind
// host:port (0 picks a free port), report the address, and close with every keep-alive connection dropped so a
// scraper or an open event stream cannot hold the broker's shutdown.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpListener {
  readonly port: number;
  /** `http://host:port` (IPv6 hosts in brackets), with no trailing slash. */
  readonly origin: string;
  close(): Promise<void>;
}

export async function listenHttp(server: Server, host: string, port: number): Promise<HttpListener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
