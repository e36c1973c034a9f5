// A TCP proxy that forwards bytes unchanged between a client and the broker and records every frame: each
// request, keyed by connection and correlation id, with the response that answers it. Bytes are forwarded as
// they arrive, before splitting, so recording never changes what either side sees.
import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { FrameSplitter, peekCorrelationId, readRequestHeader } from '../../../src/protocol/index.ts';

export interface RecordedExchange {
  readonly connection: number;
  readonly scenario: string;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** The whole request frame, int32 size prefix included. */
  readonly request: Buffer;
  /** The whole response frame, or null when the connection closed before one came. */
  response: Buffer | null;
}

function withSizePrefix(frame: Buffer): Buffer {
  const size = Buffer.allocUnsafe(4);
  size.writeInt32BE(frame.length, 0);
  return Buffer.concat([size, frame]);
}

export class RecordingProxy {
  /** Label attached to every request that arrives from now on. */
  scenario = 'connect';
  readonly exchanges: RecordedExchange[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private connections = 0;
  private targetPort = -1;

  constructor(private readonly targetHost = '127.0.0.1') {
    this.server = createServer((client) => this.accept(client));
  }

  /** Binds to a free port first, because the broker must advertise this port before clients connect. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  forwardTo(port: number): void {
    this.targetPort = port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const connection = ++this.connections;
    const upstream = connect(this.targetPort, this.targetHost);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const requests = new FrameSplitter();
    const responses = new FrameSplitter();
    const pending = new Map<number, RecordedExchange>();
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      for (const frame of requests.push(chunk)) {
        const { header } = readRequestHeader(frame);
        const exchange: RecordedExchange = {
          connection,
          scenario: this.scenario,
          apiKey: header.requestApiKey,
          apiVersion: header.requestApiVersion,
          correlationId: header.correlationId,
          request: withSizePrefix(frame),
          response: null,
        };
        this.exchanges.push(exchange);
        pending.set(header.correlationId, exchange);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      for (const frame of responses.push(chunk)) {
        const correlationId = peekCorrelationId(frame);
        const exchange = pending.get(correlationId);
        if (exchange === undefined) throw new Error(`connection ${connection}: response to unknown correlation id ${correlationId}`);
        pending.delete(correlationId);
        exchange.response = withSizePrefix(frame);
      }
    });
    const shut = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', shut);
    upstream.on('close', shut);
    client.on('error', shut);
    upstream.on('error', shut);
  }
}
