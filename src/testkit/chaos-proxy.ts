// A frame-aware fault proxy between any Kafka client and any Kafka broker. Both directions are split into Kafka
// frames; each request's header (API key, version, correlation id) is read, and because a broker answers a
// connection's requests in order, responses are matched to requests FIFO (the correlation id is checked too).
// A seeded schedule of rules decides, per request, what goes wrong:
//
//   drop-response   the broker handles the request, its answer never reaches the client (the lost ack); then the
//                   client connection is reset, or kept open so the client times out (`closeClient`)
//   delay-response  the answer is delivered late, counted from its arrival (later answers queue behind it)
//   cut-request     half of the request frame reaches the broker, then both sides are reset
//   cut-response    half of the answer reaches the client, then both sides are reset
//   blackhole       from this request on, nothing more is forwarded either way on this connection
//   hold-request    the request (and everything after it on the connection) is delivered to the broker late,
//                   even after the client gave up and closed: the "late packet" of N2
//
// Frames that no rule touches are forwarded byte for byte.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { FrameSplitter, decodeResponseFrame, encodeResponseFrame, readRequestHeader, peekCorrelationId } from '../protocol/framing.ts';
import { ApiKey } from '../protocol/messages/generated/index.ts';
import { metadataApi } from '../protocol/messages/generated/03-metadata.ts';
import { Reader } from '../protocol/wire/reader.ts';
import { mulberry32, type Random } from './random.ts';
import { resetSocket } from './reset-socket.ts';

export const ChaosFault = {
  dropResponse: 'drop-response',
  delayResponse: 'delay-response',
  cutRequest: 'cut-request',
  cutResponse: 'cut-response',
  blackhole: 'blackhole',
  holdRequest: 'hold-request',
} as const;
export type ChaosFault = (typeof ChaosFault)[keyof typeof ChaosFault];

export interface ChaosRule {
  readonly fault: ChaosFault;
  /** API keys the rule applies to; every request when omitted. */
  readonly apiKeys?: readonly number[];
  /** Chance per matching request, drawn from the proxy's seeded PRNG. Default 1. */
  readonly probability?: number;
  /** The rule stops firing after this many hits. Default: no limit. */
  readonly maxCount?: number;
  /** Delay for delay-response and hold-request, fixed or a [min, max] range. Default 1000 ms. */
  readonly delayMs?: number | readonly [number, number];
  /** drop-response only: reset the client connection right after dropping (default true). */
  readonly closeClient?: boolean;
}

export interface ChaosProxyOptions {
  /** The broker to forward to. */
  readonly target: { readonly host: string; readonly port: number };
  readonly listenHost?: string;
  /** 0 (default) picks a free port. */
  readonly listenPort?: number;
  /** Seed of the fault schedule. Default 1. */
  readonly seed?: number;
  readonly rules?: readonly ChaosRule[];
  /**
   * Rewrite every broker address in Metadata and FindCoordinator answers to the proxy's own, so that clients keep talking through the
   * proxy to a broker that advertises its real address (any single-node Kafka). Default false: seqlog can be told
   * to advertise the proxy instead (`advertisedHost`/`advertisedPort`). ApiVersions answers are then capped at the
   * newest Metadata version this build can rewrite.
   */
  readonly rewriteMetadata?: boolean;
  /** Largest frame accepted in either direction. Default 100 MiB. */
  readonly maxFrameBytes?: number;
}

export interface ChaosProxyStats {
  connections: number;
  requests: number;
  responses: number;
  /** Faults injected, by kind. */
  faults: Record<ChaosFault, number>;
  /** Sum of `faults`, plus connections cut by `disconnectAll`. */
  totalFaults: number;
  /** Connections cut by `disconnectAll`. */
  disconnects: number;
}

type ResponseAction =
  | { readonly kind: 'pass' }
  | { readonly kind: 'drop'; readonly closeClient: boolean }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'cut' };

interface PendingRequest {
  readonly correlationId: number;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly action: ResponseAction;
}

const PASS: ResponseAction = { kind: 'pass' };
/** After the client has left, a connection with held requests lingers this long for the broker's answers. */
const LINGER_AFTER_HOLD_MS = 2000;

function emptyFaultCounts(): Record<ChaosFault, number> {
  return Object.fromEntries(Object.values(ChaosFault).map((fault) => [fault, 0])) as Record<ChaosFault, number>;
}

function sleep(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function withSizePrefix(frame: Buffer): Buffer {
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeInt32BE(frame.length, 0);
  return Buffer.concat([prefix, frame]);
}

/** True for a Produce with acks=0: the broker sends no answer, so nothing waits in the FIFO for it. */
function expectsNoResponse(frame: Buffer, apiKey: number, version: number, bodyOffset: number): boolean {
  if (apiKey !== ApiKey.Produce) return false;
  try {
    const r = new Reader(frame, bodyOffset);
    if (version >= 9) r.compactString();
    else if (version >= 3) r.string();
    return r.int16() === 0;
  } catch {
    return false;
  }
}

class ProxiedConnection {
  private readonly requestSplitter: FrameSplitter;
  private readonly responseSplitter: FrameSplitter;
  private readonly pending: PendingRequest[] = [];
  /** Writes to each side are chained so that a delayed frame holds back the frames after it (Kafka's order). */
  private toBroker: Promise<void> = Promise.resolve();
  private toClient: Promise<void> = Promise.resolve();
  private blackholed = false;
  private closed = false;
  private held = 0;
  private clientGone = false;

  constructor(
    private readonly proxy: ChaosProxy,
    private readonly client: Socket,
    private readonly upstream: Socket,
    maxFrameBytes: number,
  ) {
    this.requestSplitter = new FrameSplitter(maxFrameBytes);
    this.responseSplitter = new FrameSplitter(maxFrameBytes);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.onRequestBytes(chunk));
    upstream.on('data', (chunk: Buffer) => this.onResponseBytes(chunk));
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('close', () => this.onClientClosed());
    upstream.on('close', () => this.destroy());
  }

  pause(): void {
    this.client.pause();
    this.upstream.pause();
  }

  resume(): void {
    this.client.resume();
    this.upstream.resume();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.upstream.destroy();
    this.proxy.forget(this);
  }

  /** Resets both sides (RST), as a cable pulled mid-stream would. */
  reset(): void {
    if (this.closed) return;
    this.closed = true;
    resetSocket(this.client);
    resetSocket(this.upstream);
    this.proxy.forget(this);
  }

  private onClientClosed(): void {
    this.clientGone = true;
    // Held requests must still reach the broker after the client gave up: keep the upstream socket open.
    if (this.held === 0) this.destroy();
  }

  private onRequestBytes(chunk: Buffer): void {
    if (this.closed || this.blackholed) return;
    let frames: Buffer[];
    try {
      frames = this.requestSplitter.push(chunk);
    } catch {
      this.destroy();
      return;
    }
    for (const frame of frames) {
      if (this.closed || this.blackholed) return;
      this.onRequest(frame);
    }
  }

  private onRequest(frame: Buffer): void {
    this.proxy.counters.requests++;
    let apiKey = -1;
    let apiVersion = -1;
    let correlationId = -1;
    let noResponse = false;
    try {
      const info = readRequestHeader(frame);
      apiKey = info.header.requestApiKey;
      apiVersion = info.header.requestApiVersion;
      correlationId = info.header.correlationId;
      noResponse = expectsNoResponse(frame, apiKey, info.header.requestApiVersion, info.bodyOffset);
    } catch {
      // A malformed header is forwarded as is: the broker's reaction to it is what a test wants to see.
    }
    const rule = this.proxy.decide(apiKey);
    const bytes = withSizePrefix(frame);
    let action: ResponseAction = PASS;
    switch (rule?.fault) {
      case ChaosFault.blackhole:
        this.blackholed = true;
        return;
      case ChaosFault.cutRequest: {
        const part = bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2)));
        this.toBroker = this.toBroker.then(() => {
          if (this.closed) return;
          this.upstream.write(part, () => this.reset());
        });
        return;
      }
      case ChaosFault.holdRequest: {
        const ms = this.proxy.delayFor(rule);
        this.held++;
        this.toBroker = this.toBroker
          .then(() => sleep(ms))
          .then(() => {
            this.held--;
            if (!this.closed) this.upstream.write(bytes);
            if (this.clientGone && this.held === 0) setTimeout(() => this.destroy(), LINGER_AFTER_HOLD_MS).unref();
          });
        if (!noResponse) this.pending.push({ correlationId, apiKey, apiVersion, action });
        return;
      }
      case ChaosFault.dropResponse:
        action = { kind: 'drop', closeClient: rule.closeClient ?? true };
        break;
      case ChaosFault.delayResponse:
        action = { kind: 'delay', ms: this.proxy.delayFor(rule) };
        break;
      case ChaosFault.cutResponse:
        action = { kind: 'cut' };
        break;
      default:
        break;
    }
    if (!noResponse) this.pending.push({ correlationId, apiKey, apiVersion, action });
    this.toBroker = this.toBroker.then(() => {
      if (!this.closed) this.upstream.write(bytes);
    });
  }

  private onResponseBytes(chunk: Buffer): void {
    if (this.closed || this.blackholed) return;
    let frames: Buffer[];
    try {
      frames = this.responseSplitter.push(chunk);
    } catch {
      this.destroy();
      return;
    }
    for (const frame of frames) {
      if (this.closed || this.blackholed) return;
      this.onResponse(frame);
    }
  }

  private onResponse(frame: Buffer): void {
    this.proxy.counters.responses++;
    const request = this.pending.shift();
    const correlationId = frame.length >= 4 ? peekCorrelationId(frame) : -1;
    // A broker answering out of order is itself a finding; forward it untouched so the client reports it.
    const action = request !== undefined && request.correlationId === correlationId ? request.action : PASS;
    const rewrite = request !== undefined && this.proxy.rewritesMetadata && (request.apiKey === ApiKey.Metadata || request.apiKey === ApiKey.ApiVersions || request.apiKey === ApiKey.FindCoordinator);
    const bytes = !rewrite
      ? withSizePrefix(frame)
      : request.apiKey === ApiKey.Metadata
        ? this.proxy.rewriteMetadata(frame, request.apiVersion)
        : request.apiKey === ApiKey.FindCoordinator
          ? this.proxy.rewriteFindCoordinator(frame, request.apiVersion)
          : this.proxy.capMetadataVersion(frame, request.apiVersion);
    switch (action.kind) {
      case 'drop':
        if (action.closeClient) this.toClient = this.toClient.then(() => this.reset());
        return;
      case 'cut':
        this.toClient = this.toClient.then(() => {
          if (this.closed || this.clientGone) return;
          // Nothing may follow the half frame on this connection: later answers would be read as its rest.
          this.clientGone = true;
          this.client.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))), () => this.reset());
        });
        return;
      case 'delay': {
        // Late by `ms` from the moment the answer reached the proxy, as a slow link would make it: answers behind it
        // wait for it (one TCP stream keeps order), but two delays in one window overlap instead of adding up.
        const due = performance.now() + action.ms;
        this.toClient = this.toClient.then(() => sleep(due - performance.now()));
        break;
      }
      case 'pass':
        break;
    }
    this.toClient = this.toClient.then(() => {
      if (!this.closed && !this.clientGone) this.client.write(bytes);
    });
  }
}

export class ChaosProxy {
  readonly host: string;
  readonly port: number;
  /** Counters that the connections update; read them through `stats()`. */
  readonly counters = { connections: 0, requests: 0, responses: 0, disconnects: 0 };
  private readonly faults = emptyFaultCounts();
  private readonly connections = new Set<ProxiedConnection>();
  private readonly hits = new Map<ChaosRule, number>();
  private rules: readonly ChaosRule[];
  private random: Random;
  private enabled = true;
  private paused = false;

  private constructor(
    private readonly server: Server,
    private readonly options: ChaosProxyOptions,
    address: { host: string; port: number },
  ) {
    this.host = address.host;
    this.port = address.port;
    this.rules = options.rules ?? [];
    this.random = mulberry32(options.seed ?? 1);
  }

  /** Binds the proxy and resolves once it accepts connections. */
  static start(options: ChaosProxyOptions): Promise<ChaosProxy> {
    const host = options.listenHost ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      let proxy: ChaosProxy | null = null;
      const server = createServer((socket) => proxy?.accept(socket));
      server.once('error', reject);
      server.listen(options.listenPort ?? 0, host, () => {
        server.off('error', reject);
        const address = server.address();
        const port = typeof address === 'object' && address !== null ? address.port : 0;
        proxy = new ChaosProxy(server, options, { host, port });
        resolve(proxy);
      });
    });
  }

  /** `host:port` to give a client (and to advertise as the broker's address). */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Replaces the rules; hit counts of rules that stay are kept. */
  setRules(rules: readonly ChaosRule[]): void {
    this.rules = rules;
  }

  /** Restarts the schedule from a seed. */
  reseed(seed: number): void {
    this.random = mulberry32(seed);
  }

  /** With faults disabled the proxy forwards everything untouched (it keeps counting traffic). */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  /** Stops forwarding in both directions on every connection (bytes wait in the kernel) until `resume()`. */
  pause(): void {
    this.paused = true;
    for (const connection of this.connections) connection.pause();
  }

  resume(): void {
    this.paused = false;
    for (const connection of this.connections) connection.resume();
  }

  /** Resets every open connection; clients see a disconnect with their requests in flight. */
  disconnectAll(): number {
    const count = this.connections.size;
    for (const connection of [...this.connections]) connection.reset();
    this.counters.disconnects += count;
    return count;
  }

  stats(): ChaosProxyStats {
    const faults = { ...this.faults };
    const total = Object.values(faults).reduce((sum, n) => sum + n, 0) + this.counters.disconnects;
    return { ...this.counters, faults, totalFaults: total };
  }

  /** Stops accepting and closes every connection. */
  close(): Promise<void> {
    for (const connection of [...this.connections]) connection.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** @internal The rule that fires for a request with this API key, if any; counts the hit. */
  decide(apiKey: number): ChaosRule | null {
    if (!this.enabled) return null;
    for (const rule of this.rules) {
      if (rule.apiKeys !== undefined && !rule.apiKeys.includes(apiKey)) continue;
      const hits = this.hits.get(rule) ?? 0;
      if (rule.maxCount !== undefined && hits >= rule.maxCount) continue;
      const probability = rule.probability ?? 1;
      if (probability < 1 && this.random() >= probability) continue;
      this.hits.set(rule, hits + 1);
      this.faults[rule.fault]++;
      return rule;
    }
    return null;
  }

  /** @internal */
  delayFor(rule: ChaosRule): number {
    const delay = rule.delayMs ?? 1000;
    if (typeof delay === 'number') return delay;
    return delay[0] + Math.floor(this.random() * (delay[1] - delay[0] + 1));
  }

  get rewritesMetadata(): boolean {
    return this.options.rewriteMetadata === true;
  }

  /** @internal A Metadata answer with every broker pointed at this proxy, as a complete frame. */
  rewriteMetadata(frame: Buffer, version: number): Buffer {
    try {
      const decoded = decodeResponseFrame(ApiKey.Metadata, version, frame);
      const body = { ...decoded.body, brokers: decoded.body.brokers.map((broker) => ({ ...broker, host: this.host, port: this.port })) };
      return encodeResponseFrame(ApiKey.Metadata, decoded.version, decoded.correlationId, body);
    } catch {
      return withSizePrefix(frame);
    }
  }

  /**
   * @internal A FindCoordinator answer pointing at this proxy, as a complete frame: transactional and group
   * clients reach their coordinator through the proxy too (faults on AddPartitionsToTxn, EndTxn, TxnOffsetCommit).
   */
  rewriteFindCoordinator(frame: Buffer, version: number): Buffer {
    try {
      const decoded = decodeResponseFrame(ApiKey.FindCoordinator, version, frame);
      const body = decoded.body;
      const rewritten =
        version >= 4
          ? { ...body, coordinators: body.coordinators.map((coordinator) => (coordinator.errorCode === 0 ? { ...coordinator, host: this.host, port: this.port } : coordinator)) }
          : body.errorCode === 0
            ? { ...body, host: this.host, port: this.port }
            : body;
      return encodeResponseFrame(ApiKey.FindCoordinator, decoded.version, decoded.correlationId, rewritten);
    } catch {
      return withSizePrefix(frame);
    }
  }

  /**
   * @internal An ApiVersions answer whose Metadata range ends at the newest version this build decodes, as a complete
   * frame: a client that negotiated a newer one (librdkafka 2.x with Kafka 4.x asks for v13) would get its Metadata
   * answers forwarded unrewritten and bypass the proxy.
   */
  capMetadataVersion(frame: Buffer, version: number): Buffer {
    try {
      const decoded = decodeResponseFrame(ApiKey.ApiVersions, version, frame);
      const entry = decoded.body.apiKeys.find((api) => api.apiKey === ApiKey.Metadata);
      if (entry === undefined || entry.maxVersion <= metadataApi.maxVersion) return withSizePrefix(frame);
      const body = { ...decoded.body, apiKeys: decoded.body.apiKeys.map((api) => (api.apiKey === ApiKey.Metadata ? { ...api, maxVersion: metadataApi.maxVersion } : api)) };
      return encodeResponseFrame(ApiKey.ApiVersions, decoded.version, decoded.correlationId, body);
    } catch {
      return withSizePrefix(frame);
    }
  }

  /** @internal */
  forget(connection: ProxiedConnection): void {
    this.connections.delete(connection);
  }

  private accept(client: Socket): void {
    this.counters.connections++;
    client.pause();
    const upstream = connect({ host: this.options.target.host, port: this.options.target.port });
    const connection = new ProxiedConnection(this, client, upstream, this.options.maxFrameBytes ?? 104_857_600);
    this.connections.add(connection);
    upstream.once('connect', () => {
      if (!this.paused) client.resume();
    });
    if (this.paused) connection.pause();
  }
}
