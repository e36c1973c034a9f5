// One TCP (or TLS) connection to one broker: framed requests out, responses matched back by correlation id, in
// order. Kafka answers a connection's requests in the order they were sent, so a response whose correlation id is
// not the oldest outstanding one means the stream is broken: the connection is closed and every waiter fails.
// With SASL configured, the connection authenticates right after ApiVersions (KIP-152) and re-authenticates on
// the same socket before the session the broker granted ends (KIP-368: at 85-95% of `session_lifetime_ms`, as
// the Java client); requests issued meanwhile wait until the re-authentication is done.
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { decodeResponseFrame, encodeRequestFrame, encodeRequestFrameChunks, peekCorrelationId, type RequestFrameLayout } from '../../protocol/framing.ts';
import { writeGathered } from '../../internal/write-gathered.ts';
import { FrameReader, readScratch, type ReadFrame } from '../../internal/frame-reader.ts';
import { ApiKey, type ApiKey as ApiKeyType, type RequestByApiKey, type ResponseByApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiVersionsResponse } from '../../protocol/messages/generated/18-api-versions.ts';
import { ConnectionError } from './connection-error.ts';
import type { WriterMemory } from '../../protocol/wire/writer.ts';
import type { ConnectionSecurityOptions, SaslOptions } from './security-options.ts';
import { saslExchange, SaslClientError } from './sasl-client.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import { ErrorCode, errorName } from '../../protocol/errors/index.ts';

export interface BrokerConnectionOptions extends ConnectionSecurityOptions {
  host: string;
  port: number;
  clientId?: string | null;
  /** Connect timeout. Default 10 s. */
  connectTimeoutMs?: number;
  /** Largest response frame accepted. Default 100 MiB. */
  maxResponseBytes?: number;
}

/** Where a plain TCP socket's reads go: the connection, once it exists. */
interface DirectReads {
  sink: BrokerConnection | null;
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
  private readonly reader: FrameReader;
  private readonly outstanding: Outstanding[] = [];
  private nextCorrelationId = 1;
  private closedError: Error | null = null;
  private readonly closeListeners: (() => void)[] = [];
  private readonly sasl: SaslOptions | null;
  /** Set while a re-authentication runs: other requests wait for it. */
  private reauthentication: Promise<void> | null = null;
  private reauthenticationTimer: NodeJS.Timeout | null = null;
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
    reads: DirectReads | null,
  ) {
    this.clientId = options.clientId ?? 'seqlog';
    this.sasl = options.sasl ?? null;
    this.address = { host: options.host, port: options.port };
    // Every answer gets a buffer of its own at its announced size (the records decoded from it view its bytes).
    this.reader = new FrameReader(null, options.maxResponseBytes ?? 104857600, { allocateDeclaredSize: true });
    socket.setNoDelay(true);
    // A plain TCP socket reads through `onread` (see `open`); TLS hands over 'data' chunks.
    if (reads === null) socket.on('data', (chunk: Buffer) => this.onRead(chunk.length, chunk));
    else reads.sink = this;
    socket.on('error', (error) => this.fail(new ConnectionError(`connection to ${options.host}:${options.port} failed: ${error.message}`)));
    socket.on('close', () => this.fail(new ConnectionError(`connection to ${options.host}:${options.port} closed`)));
  }

  static open(options: BrokerConnectionOptions): Promise<BrokerConnection> {
    return new Promise((resolve, reject) => {
      const ssl = options.ssl === true ? {} : options.ssl;
      // Plain TCP reads go where the connection's frame reader says: straight into a large answer being received,
      // not into a fresh 64 KiB buffer per read that is then copied into the answer.
      const reads: DirectReads = { sink: null };
      const socket =
        ssl === undefined
          ? connect({
              host: options.host,
              port: options.port,
              onread: {
                buffer: () => reads.sink?.reader.directReadBuffer() ?? readScratch(),
                callback: (bytes: number, buffer: Uint8Array) => {
                  const sink = reads.sink;
                  // The broker speaks only when asked, and nothing is asked before the connection exists.
                  if (sink === null) socket.destroy(new Error('bytes from the broker before any request'));
                  else sink.onRead(bytes, buffer);
                  return true;
                },
              },
            })
          : connectTls({
              host: options.host,
              port: options.port,
              ...(ssl.ca === undefined ? {} : { ca: ssl.ca as string | Buffer | (string | Buffer)[] }),
              ...(ssl.cert === undefined ? {} : { cert: ssl.cert }),
              ...(ssl.key === undefined ? {} : { key: ssl.key }),
              ...(ssl.passphrase === undefined ? {} : { passphrase: ssl.passphrase }),
              rejectUnauthorized: ssl.rejectUnauthorized ?? true,
              // SNI is for host names only (Node warns on an IP address).
              ...(ssl.servername !== undefined ? { servername: ssl.servername } : /^[\d.]+$|:/.test(options.host) ? {} : { servername: options.host }),
            });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError(`connecting to ${options.host}:${options.port} timed out`));
      }, options.connectTimeoutMs ?? 10000);
      socket.once(ssl === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new BrokerConnection(socket, options, ssl === undefined ? reads : null));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (ssl !== undefined && isTlsVerificationError(error)) {
          // The broker's certificate is not trusted (or ours is refused): retrying cannot help.
          reject(
            new KafkaClientError({
              code: -1,
              errorName: 'SSL_HANDSHAKE_FAILED',
              kind: ErrorKind.fatal,
              message: `TLS handshake with ${options.host}:${options.port} failed: ${error.message}; check ssl.ca (the CA that signed the broker's certificate) and that the certificate names this host`,
              cause: error,
            }),
          );
          return;
        }
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

  /**
   * Sends a request and resolves with the decoded response body. `layout`: how a large request's bytes are laid
   * out (a Produce request's record batches written from their own memory; see `RequestFrameLayout`). The
   * frame's own memory goes back to `layout.memory` once the socket is done with it.
   */
  send<K extends ApiKeyType>(apiKey: K, version: number, body: RequestByApiKey[K], layout?: RequestFrameLayout): Promise<ResponseByApiKey[K]> {
    return this.sendNow(apiKey, version, body, layout, this.reauthentication);
  }

  /** `after`: a re-authentication the write must wait for (null for its own requests, and when none runs). */
  private async sendNow<K extends ApiKeyType>(apiKey: K, version: number, body: RequestByApiKey[K], layout?: RequestFrameLayout, after: Promise<void> | null = null): Promise<ResponseByApiKey[K]> {
    const frame = await this.sendRaw(apiKey, version, body, true, layout, after);
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
  sendWithoutResponse<K extends ApiKeyType>(apiKey: K, version: number, body: RequestByApiKey[K], layout?: RequestFrameLayout): Promise<void> {
    return this.sendRaw(apiKey, version, body, false, layout, this.reauthentication).then(() => undefined);
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

  private sendRaw<K extends ApiKeyType>(apiKey: K, version: number, body: RequestByApiKey[K], expectResponse: boolean, layout: RequestFrameLayout | undefined, after: Promise<void> | null): Promise<Buffer | null> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    // Encoded now even when the write waits for a re-authentication: the frame's fields are copied out of `body`
    // at once. Spliced chunks (record batches) stay the body owner's memory, which it keeps until the request is
    // answered or failed, and so past the write. Answers are matched in write order, so the ids of the
    // re-authentication's own requests, written first, may be higher.
    const chunks = layout === undefined ? [encodeRequestFrame(apiKey, version, correlationId, this.clientId, body)] : encodeRequestFrameChunks(apiKey, version, correlationId, this.clientId, body, layout);
    if (after !== null) return after.then(() => this.writeFrame(chunks, correlationId, apiKey, version, expectResponse, layout?.memory));
    return this.writeFrame(chunks, correlationId, apiKey, version, expectResponse, layout?.memory);
  }

  /** `frameMemory`: where the first chunk's memory goes back once written (or never written). */
  private writeFrame(chunks: readonly Uint8Array[], correlationId: number, apiKey: ApiKeyType, version: number, expectResponse: boolean, frameMemory: WriterMemory | undefined): Promise<Buffer | null> {
    if (this.closedError) {
      frameMemory?.give(chunks[0]);
      return Promise.reject(this.closedError);
    }
    // A write's callback runs once the kernel has the bytes, or the write failed: either way they are free again.
    if (expectResponse) {
      return new Promise((resolve, reject) => {
        this.outstanding.push({ correlationId, apiKey, version, resolve, reject });
        writeGathered(this.socket, chunks, () => frameMemory?.give(chunks[0]));
      });
    }
    return new Promise((resolve, reject) => {
      writeGathered(this.socket, chunks, (error) => {
        frameMemory?.give(chunks[0]);
        if (error) reject(new ConnectionError(error.message));
        else resolve(null);
      });
    });
  }

  /**
   * Asks the broker which versions it serves (ApiVersions v3, falling back to v0 as KIP-511 describes), then, when
   * SASL is configured, authenticates: what a connection must do before its first other request.
   */
  async negotiateApiVersions(): Promise<BrokerApiVersions> {
    let response: ApiVersionsResponse = await this.send(ApiKey.ApiVersions, 3, {
      clientSoftwareName: 'seqlog',
      clientSoftwareVersion: '0.1.0',
    });
    if (response.errorCode !== 0) response = await this.send(ApiKey.ApiVersions, 0, { clientSoftwareName: '', clientSoftwareVersion: '' });
    this.apiVersions = new Map(response.apiKeys.map((key) => [key.apiKey, { minVersion: key.minVersion, maxVersion: key.maxVersion }]));
    this.finalizedFeatures = new Map((response.finalizedFeatures ?? []).map((feature) => [feature.name, feature.maxVersionLevel]));
    if (this.sasl !== null) await this.authenticate(this.sasl);
    return this.apiVersions;
  }

  /**
   * SaslHandshake v1 then SaslAuthenticate until the mechanism is done (KIP-152). A refusal is a fatal
   * KafkaClientError (SASL_AUTHENTICATION_FAILED, UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE) saying what to
   * check; the broker closes the connection after it. Schedules the re-authentication when the broker bounds the
   * session.
   */
  private async authenticate(sasl: SaslOptions): Promise<void> {
    const where = `${this.address.host}:${this.address.port}`;
    const handshakeVersion = this.versionFor(ApiKey.SaslHandshake, 1, 1);
    const authenticateVersion = this.versionFor(ApiKey.SaslAuthenticate, 0, 2);
    if (handshakeVersion === null || authenticateVersion === null) {
      throw new KafkaClientError({ code: ErrorCode.UNSUPPORTED_VERSION, kind: ErrorKind.fatal, message: `${where} does not serve SaslHandshake v1 and SaslAuthenticate (KIP-152); it cannot authenticate this client` });
    }
    const handshake = await this.sendNow(ApiKey.SaslHandshake, handshakeVersion, { mechanism: sasl.mechanism });
    if (handshake.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) {
      throw authenticationError(handshake.errorCode, `${where} does not offer SASL mechanism ${sasl.mechanism} (it offers ${handshake.mechanisms.join(', ') || 'none'}); change sasl.mechanism or the broker's sasl.enabled.mechanisms`);
    }
    if (handshake.errorCode === ErrorCode.ILLEGAL_SASL_STATE) {
      throw authenticationError(handshake.errorCode, `${where} refused the SASL handshake (ILLEGAL_SASL_STATE): this listener is probably not a SASL listener; connect to its SASL_PLAINTEXT/SASL_SSL port or drop the sasl option`);
    }
    if (handshake.errorCode !== ErrorCode.NONE) throw authenticationError(handshake.errorCode, `SaslHandshake with ${where} failed: ${errorName(handshake.errorCode)}`);
    const exchange = saslExchange(sasl);
    let serverToken: Buffer | null = null;
    let sessionLifetimeMs = 0n;
    for (;;) {
      let token: Buffer | null;
      try {
        token = await exchange.next(serverToken);
      } catch (error) {
        if (!(error instanceof SaslClientError)) throw error;
        this.close();
        throw authenticationError(ErrorCode.SASL_AUTHENTICATION_FAILED, `SASL ${sasl.mechanism} authentication with ${where} failed: ${error.message}`);
      }
      if (token === null) break;
      const response = await this.sendNow(ApiKey.SaslAuthenticate, authenticateVersion, { authBytes: token });
      if (response.errorCode !== ErrorCode.NONE) {
        throw authenticationError(
          response.errorCode,
          `SASL ${sasl.mechanism} authentication of ${exchange.who} with ${where} failed: ${response.errorMessage ?? errorName(response.errorCode)}; check the credentials (sasl.username/password or the token) and that the user exists on the broker for this mechanism`,
        );
      }
      serverToken = response.authBytes;
      sessionLifetimeMs = response.sessionLifetimeMs ?? 0n;
    }
    this.scheduleReauthentication(sasl, Number(sessionLifetimeMs));
  }

  private scheduleReauthentication(sasl: SaslOptions, sessionLifetimeMs: number): void {
    if (this.reauthenticationTimer !== null) clearTimeout(this.reauthenticationTimer);
    this.reauthenticationTimer = null;
    if (sessionLifetimeMs <= 0 || this.closed) return;
    const delay = Math.floor(sessionLifetimeMs * (0.85 + Math.random() * 0.1));
    this.reauthenticationTimer = setTimeout(() => {
      this.reauthenticationTimer = null;
      // Requests sent before this point are answered first; later ones wait for the new session.
      const running = this.authenticate(sasl).catch((error: unknown) => {
        this.fail(error instanceof Error ? error : new ConnectionError(String(error)));
        this.socket.destroy();
      });
      this.reauthentication = running.finally(() => {
        this.reauthentication = null;
      });
    }, delay);
    this.reauthenticationTimer.unref();
  }

  /** The highest version both sides speak, or null when the ranges do not overlap. */
  versionFor(apiKey: ApiKeyType, ourMin: number, ourMax: number): number | null {
    const theirs = this.apiVersions.get(apiKey);
    if (theirs === undefined) return null;
    const version = Math.min(ourMax, theirs.maxVersion);
    return version >= Math.max(ourMin, theirs.minVersion) ? version : null;
  }

  close(): void {
    if (this.reauthenticationTimer !== null) clearTimeout(this.reauthenticationTimer);
    this.socket.destroy();
    this.fail(new ConnectionError('connection closed by the client'));
  }

  /**
   * `bytes` bytes were read into `buffer` (where the reader asked for them, or a 'data' chunk): matches the answers
   * they complete to the oldest requests.
   */
  private onRead(bytes: number, buffer: Uint8Array): void {
    if (this.closedError !== null) return;
    let frames: ReadFrame[];
    try {
      frames = this.reader.readInto(bytes, buffer);
    } catch (error) {
      this.fail(new ConnectionError(`bad response frame: ${(error as Error).message}`));
      this.socket.destroy();
      return;
    }
    for (const { bytes: frame } of frames) {
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
    if (this.reauthenticationTimer !== null) clearTimeout(this.reauthenticationTimer);
    const first = this.closedError === null;
    if (first) this.closedError = error;
    for (const waiter of this.outstanding.splice(0)) waiter.reject(this.closedError as Error);
    if (first) for (const listener of this.closeListeners.splice(0)) listener();
  }
}

function authenticationError(code: number, message: string): KafkaClientError {
  return new KafkaClientError({ code, kind: ErrorKind.fatal, message });
}

/** Certificate problems, as opposed to a refused or reset TCP connection. */
function isTlsVerificationError(error: NodeJS.ErrnoException): boolean {
  const code = error.code ?? '';
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT|HOSTNAME|ALERT/i.test(code) || /certificate|alert/i.test(error.message);
}
