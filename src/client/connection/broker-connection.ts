// One TCP connection to one broker: framed requests out, responses matched back by correlation id, in order.
// Kafka answers a connection's requests in the order they were sent, so a response whose correlation id is not
// the oldest outstanding one means the stream is broken: the connection is closed and every waiter fails.
import { connect, type Socket } from 'node:net';
import { FrameSplitter, decodeResponseFrame, encodeRequestFrame, peekCorrelationId } from '../../protocol/framing.ts';
import { ApiKey, type ApiKey as ApiKeyType, type RequestByApiKey, type ResponseByApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiVersionsResponse } from '../../protocol/messages/generated/18-api-versions.ts';
import { ConnectionError } from './connection-error.ts';

export interface BrokerConnectionOptions {
  host: string;
  port: number;
  clientId?: string | null;
  /** Connect timeout. Default 10 s. */
  connectTimeoutMs?: number;
  /** Largest response frame accepted. Default 100 MiB. */
  maxResponseBytes?: number;
}

interface Outstanding {
  correlationId: number;
  apiKey: ApiKeyType;
  version: number;
  resolve(frame: Buffer): void;
  reject(error: Error): void;
}

/** The versions a broker serves, from its ApiVersions answer. */
export type BrokerApiVersions = ReadonlyMap<number, { minVersion: number; maxVersion: number }>;

export class BrokerConnection {
  private readonly splitter: FrameSplitter;
  private readonly outstanding: Outstanding[] = [];
  private nextCorrelationId = 1;
  private closedError: Error | null = null;
  private readonly closeListeners: (() => void)[] = [];
  readonly clientId: string | null;
  /** The host and port this connection was opened to. */
  readonly address: { readonly host: string; readonly port: number };
  /** Filled by `negotiateApiVersions`. */
  apiVersions: BrokerApiVersions = new Map();
  /** Feature name -> finalized max version level (ApiVersions v3+ `FinalizedFeatures`, e.g. transaction.version). */
  finalizedFeatures: ReadonlyMap<string, number> = new Map();

  private constructor(
    private readonly socket: Socket,
    options: BrokerConnectionOptions,
  ) {
    this.clientId = options.clientId ?? 'seqlog';
    this.address = { host: options.host, port: options.port };
    this.splitter = new FrameSplitter(options.maxResponseBytes ?? 104857600);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new ConnectionError(`connection to ${options.host}:${options.port} failed: ${error.message}`)));
    socket.on('close', () => this.fail(new ConnectionError(`connection to ${options.host}:${options.port} closed`)));
  }

  static open(options: BrokerConnectionOptions): Promise<BrokerConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError(`connecting to ${options.host}:${options.port} timed out`));
      }, options.connectTimeoutMs ?? 10000);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new BrokerConnection(socket, options));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new ConnectionError(`cannot connect to ${options.host}:${options.port}: ${error.message}`, { cause: error }));
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Runs `listener` once when the connection fails or closes. */
  onClose(listener: () => void): void {
    if (this.closedError !== null) queueMicrotask(listener);
    else this.closeListeners.push(listener);
  }

  get inFlight(): number {
    return this.outstanding.length;
  }

  /** Sends a request and resolves with the decoded response body. */
  async send<K extends ApiKeyType>(apiKey: K, version: number, body: RequestByApiKey[K]): Promise<ResponseByApiKey[K]> {
    const frame = await this.sendRaw(apiKey, version, body, true);
    try {
      return decodeResponseFrame(apiKey, version, frame as Buffer).body;
    } catch (error) {
      // A response that does not parse means the byte stream can no longer be trusted (a corrupted or misframed
      // answer): like Kafka's NetworkClient, drop the connection, which fails every outstanding request with a
      // retriable network error instead of a fatal one.
      const failure = new ConnectionError(`malformed response to API key ${apiKey} v${version}: ${(error as Error).message}`);
      this.fail(failure);
      this.socket.destroy();
      throw failure;
    }
  }

  /** Sends a request that gets no response (Produce with acks=0). Resolves once it is handed to the socket. */
  sendWithoutResponse<K extends ApiKeyType>(apiKey: K, version: number, body: RequestByApiKey[K]): Promise<void> {
    return this.sendRaw(apiKey, version, body, false).then(() => undefined);
  }

  /** Sends a frame built elsewhere (tests of malformed input) and resolves with the raw response frame. */
  sendFrame(frame: Buffer, apiKey: ApiKeyType, version: number): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = frame.readInt32BE(4 + 4);
    return new Promise((resolve, reject) => {
      this.outstanding.push({ correlationId, apiKey, version, resolve, reject });
      this.socket.write(frame);
    });
  }

  private sendRaw<K extends ApiKeyType>(apiKey: K, version: number, body: RequestByApiKey[K], expectResponse: boolean): Promise<Buffer | null> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    const frame = encodeRequestFrame(apiKey, version, correlationId, this.clientId, body);
    if (!expectResponse) {
      return new Promise((resolve, reject) => {
        this.socket.write(frame, (error) => (error ? reject(new ConnectionError(error.message)) : resolve(null)));
      });
    }
    return new Promise((resolve, reject) => {
      this.outstanding.push({ correlationId, apiKey, version, resolve, reject });
      this.socket.write(frame);
    });
  }

  /** Asks the broker which versions it serves (ApiVersions v3, falling back to v0 as KIP-511 describes). */
  async negotiateApiVersions(): Promise<BrokerApiVersions> {
    let response: ApiVersionsResponse = await this.send(ApiKey.ApiVersions, 3, {
      clientSoftwareName: 'seqlog',
      clientSoftwareVersion: '0.1.0',
    });
    if (response.errorCode !== 0) response = await this.send(ApiKey.ApiVersions, 0, { clientSoftwareName: '', clientSoftwareVersion: '' });
    this.apiVersions = new Map(response.apiKeys.map((key) => [key.apiKey, { minVersion: key.minVersion, maxVersion: key.maxVersion }]));
    this.finalizedFeatures = new Map((response.finalizedFeatures ?? []).map((feature) => [feature.name, feature.maxVersionLevel]));
    return this.apiVersions;
  }

  /** The highest version both sides speak, or null when the ranges do not overlap. */
  versionFor(apiKey: ApiKeyType, ourMin: number, ourMax: number): number | null {
    const theirs = this.apiVersions.get(apiKey);
    if (theirs === undefined) return null;
    const version = Math.min(ourMax, theirs.maxVersion);
    return version >= Math.max(ourMin, theirs.minVersion) ? version : null;
  }

  close(): void {
    this.socket.destroy();
    this.fail(new ConnectionError('connection closed by the client'));
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (error) {
      this.fail(new ConnectionError(`bad response frame: ${(error as Error).message}`));
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      const waiter = this.outstanding.shift();
      const correlationId = frame.length >= 4 ? peekCorrelationId(frame) : -1;
      if (waiter === undefined || waiter.correlationId !== correlationId) {
        this.fail(new ConnectionError(`response with correlation id ${correlationId} does not match the oldest request (${waiter?.correlationId})`));
        this.socket.destroy();
        return;
      }
      waiter.resolve(frame);
    }
  }

  private fail(error: Error): void {
    const first = this.closedError === null;
    if (first) this.closedError = error;
    for (const waiter of this.outstanding.splice(0)) waiter.reject(this.closedError as Error);
    if (first) for (const listener of this.closeListeners.splice(0)) listener();
  }
}
