// The TCP listener: accepts connections and hands each its own ordered request pipeline. Owns what connections
// share: the memory budget (`queued.max.request.bytes`) and the sweep that closes idle connections and frames
// that take too long (`connections.max.idle.ms`, `socket.request.receive.timeout.ms`).
import { createServer, type Server, type Socket } from 'node:net';
import { Connection, type ConnectionLimits, type ConnectionLogger, type Dispatch } from './connection.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { clientHostOf } from './security/principal.ts';

export interface ListenOptions extends ConnectionLimits {
  host: string;
  port: number;
  /** Connection memory shared by every connection (`queued.max.request.bytes`). */
  memory: MemoryBudget;
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
    this.server = createServer((socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    const info = { id: this.nextConnectionId++, remoteAddress: `${socket.remoteAddress}:${socket.remotePort}`, clientHost: clientHostOf(socket.remoteAddress) };
    const connection = new Connection(socket, info, this.dispatch, this.options, this.options.memory, this.log);
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
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        this.sweepTimer = setInterval(() => this.sweep(), sweepIntervalMs(this.options));
        this.sweepTimer.unref();
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : this.options.port);
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
