// One listener (Kafka's `listeners` entry): accepts connections, over TLS for SSL and SASL_SSL, and hands each its
// own ordered request pipeline with a session that starts authenticated or waiting for SASL per the listener's
// security protocol. Owns what its connections share: the memory budget (`queued.max.request.bytes`, shared
// with the other listeners) and the sweep that closes idle connections, frames that take too long and expired
// sessions (`connections.max.idle.ms`, `socket.request.receive.timeout.ms`, KIP-368).
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions, type TLSSocket } from 'node:tls';
import { Connection, type ConnectionLimits, type ConnectionLogger, type Dispatch } from './connection.ts';
import { adoptForDirectReads, type AdoptedSocket } from './direct-reads.ts';
import type { MemoryBudget } from './memory-budget.ts';
import type { RequestSlabPool } from '../internal/request-slabs.ts';
import { ConnectionSession } from './security/connection-session.ts';
import type { Listener } from './security/listeners.ts';
import { ANONYMOUS_PRINCIPAL, clientHostOf } from './security/principal.ts';
import { sslPrincipal } from './security/tls.ts';

export interface ListenOptions extends ConnectionLimits {
  /** The listener's name, security protocol and bind address. */
  listener: Listener;
  /** Node's TLS server options for SSL and SASL_SSL listeners; null for plain TCP. */
  tls: TlsOptions | null;
  /** Connection memory shared by every connection (`queued.max.request.bytes`). */
  memory: MemoryBudget;
  /** Reused memory request frames are read into, shared by every connection. */
  requestSlabs: RequestSlabPool;
}

/** The sweep runs often enough to close within a tenth of the shortest timeout, and at least once a second. */
function sweepIntervalMs(limits: ConnectionLimits): number {
  return Math.max(10, Math.min(1000, Math.floor(Math.min(limits.idleMs, limits.frameReceiveTimeoutMs) / 10)));
}

export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dispatch: Dispatch,
    private readonly options: ListenOptions,
    private readonly log: ConnectionLogger,
  ) {
    const tls = options.tls;
    // Plain TCP sockets are accepted paused, so that their reads can be moved to buffers the connection chooses.
    if (tls === null) this.server = createServer({ pauseOnConnect: true }, (socket) => this.acceptPlain(socket));
    else {
      // A client that opens TCP and never completes the TLS handshake is dropped like an idle connection.
      const handshakeTimeout = Math.min(options.idleMs, 120000);
      this.server = createTlsServer({ ...tls, handshakeTimeout }, (socket) => this.acceptTls(socket));
      this.server.on('tlsClientError', (error: Error, socket: Socket) => {
        log.debug({ listener: options.listener.name, remote: `${socket.remoteAddress}:${socket.remotePort}`, err: error.message }, 'TLS handshake failed');
      });
    }
  }

  private acceptTls(socket: TLSSocket): void {
    const principal = sslPrincipal(socket);
    if (principal === null) {
      // `ssl.client.auth=requested` and a certificate that does not verify: refused, as Java's SSLEngine does.
      this.log.warn({ listener: this.options.listener.name, remote: `${socket.remoteAddress}:${socket.remotePort}`, err: String(socket.authorizationError) }, 'client certificate not trusted, closing connection');
      socket.destroy();
      return;
    }
    this.accept(socket, new ConnectionSession(this.options.listener, principal));
  }

  private acceptPlain(accepted: Socket): void {
    const adopted = adoptForDirectReads(accepted);
    this.accept(adopted?.socket ?? accepted, undefined, adopted);
  }

  private accept(socket: Socket, session = new ConnectionSession(this.options.listener, ANONYMOUS_PRINCIPAL), directReads: AdoptedSocket | null = null): void {
    // ACL hosts name an IPv4 client without the dual-stack `::ffff:` prefix (Kafka's `InetAddress.getHostAddress`).
    const clientHost = clientHostOf(socket.remoteAddress);
    const info = { id: this.nextConnectionId++, remoteAddress: `${socket.remoteAddress ?? ''}:${socket.remotePort}`, clientHost, session };
    const connection = new Connection(socket, info, this.dispatch, this.options, this.options.memory, this.log, this.options.requestSlabs, directReads);
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }

  private sweep(): void {
    const now = Date.now();
    for (const connection of this.connections) if (connection.closeIfExpired(now)) this.connections.delete(connection);
  }

  /** Binds and resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.listener.port, this.options.listener.host, () => {
        this.server.off('error', reject);
        this.sweepTimer = setInterval(() => this.sweep(), sweepIntervalMs(this.options));
        this.sweepTimer.unref();
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : this.options.listener.port);
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stops accepting, lets every connection answer the requests it already read (for at most `drainMs`), closes
   * them, and resolves when the listener is closed. `drainMs` 0 closes connections at once.
   */
  async close(drainMs = 5000): Promise<void> {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    const listenerClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const connections = [...this.connections];
    this.connections.clear();
    await Promise.all(connections.map((connection) => (drainMs > 0 ? connection.drainAndClose(drainMs) : connection.close())));
    await listenerClosed;
  }
}
