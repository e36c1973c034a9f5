// The TCP listener: accepts connections and hands each its own ordered request pipeline.
import { createServer, type Server, type Socket } from 'node:net';
import { Connection, type ConnectionLogger, type Dispatch } from './connection.ts';

export interface ListenOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
}

export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;

  constructor(
    private readonly dispatch: Dispatch,
    private readonly options: ListenOptions,
    private readonly log: ConnectionLogger,
  ) {
    this.server = createServer((socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    const info = { id: this.nextConnectionId++, remoteAddress: `${socket.remoteAddress}:${socket.remotePort}` };
    const connection = new Connection(socket, info, this.dispatch, this.options.maxFrameBytes, this.log);
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }

  /** Binds and resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
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
    const listenerClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const connections = [...this.connections];
    this.connections.clear();
    await Promise.all(connections.map((connection) => (drainMs > 0 ? connection.drainAndClose(drainMs) : connection.close())));
    await listenerClosed;
  }
}
