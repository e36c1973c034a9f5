// The web console's HTTP server (node:http, no framework, no build step): the page, its script and stylesheet
// from static/console/, the cluster state as JSON at /api/state, and the same state pushed once a second as
// Server-Sent Events at /api/events for live updates. What it shows comes from `readState`: the in-process broker
// (`RunningBroker.describeState`) or, against any Kafka, the admin APIs (`adminClusterState`).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { ClusterState } from '../broker/index.ts';
import { listenHttp } from '../broker/metrics/http-listener.ts';

/** Resolves from src/console/ and from dist/console/ alike: both sit two levels under the package root. */
const STATIC_DIR = new URL('../../static/console/', import.meta.url);

const ASSETS: ReadonlyMap<string, { file: string; type: string }> = new Map([
  ['/', { file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/index.html', { file: 'index.html', type: 'text/html; charset=utf-8' }],
  ['/console.js', { file: 'console.js', type: 'text/javascript; charset=utf-8' }],
  ['/console.css', { file: 'console.css', type: 'text/css; charset=utf-8' }],
]);

export interface ConsoleServerOptions {
  /** Default 127.0.0.1: the console shows producer ids and transactional ids; expose it deliberately. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  readState: () => Promise<ClusterState>;
  /** How often /api/events pushes a fresh state. Default 1000 ms. */
  refreshMs?: number;
}

export interface ConsoleServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const host = options.host ?? '127.0.0.1';
  const refreshMs = options.refreshMs ?? 1000;
  const streams = new Set<ServerResponse>();
  const stateJson = async (): Promise<string> => JSON.stringify(await options.readState());

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/api/state') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(await stateJson());
      return;
    }
    if (path === '/api/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      streams.add(response);
      let sending = false;
      const push = async (): Promise<void> => {
        if (sending) return;
        sending = true;
        try {
          response.write(`data: ${await stateJson()}\n\n`);
        } catch (error) {
          response.write(`event: failure\ndata: ${JSON.stringify(String(error))}\n\n`);
        } finally {
          sending = false;
        }
      };
      const timer = setInterval(() => void push(), refreshMs);
      response.on('close', () => {
        clearInterval(timer);
        streams.delete(response);
      });
      await push();
      return;
    }
    const asset = ASSETS.get(path);
    if (asset === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const body = await readFile(new URL(asset.file, STATIC_DIR));
    response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' }).end(body);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`console failed: ${String(error)}\n`);
    });
  });
  const listener = await listenHttp(server, host, options.port);
  return {
    port: listener.port,
    url: `${listener.origin}/`,
    close: () => {
      for (const stream of streams) stream.end();
      return listener.close();
    },
  };
}
