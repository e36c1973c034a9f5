// One connection per broker node (Kafka's NetworkClient keeps one per node), opened on demand with ApiVersions
// negotiation, and reopened after a failure with exponential backoff (`reconnect.backoff.ms` 50 ->
// `reconnect.backoff.max.ms` 1000, as in CommonClientConfigs). Bootstrap addresses get negative node ids until
// metadata names the real nodes.
import { BrokerConnection } from './broker-connection.ts';
import { ConnectionError } from './connection-error.ts';
import { silentClientLogger, type ClientLogger } from '../client-logger.ts';
import { KafkaClientError } from '../errors/kafka-client-error.ts';
import type { ConnectionSecurityOptions } from './security-options.ts';

/**
 * With no connection ever made, every bootstrap address failing at least this many times in a row over at least
 * UNREACHABLE_AFTER_MS makes the pool report the cluster unreachable (`unreachable()`): a wrong address, a stopped
 * broker or a port that is not Kafka's then fails sends within seconds instead of at max.block.ms, with the cause
 * in the error. The time floor leaves a broker that is still starting (a compose file's race) a moment to listen.
 */
const FAILURES_BEFORE_UNREACHABLE = 3;
const UNREACHABLE_AFTER_MS = 2000;

export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

interface NodeState {
  address: NodeAddress;
  connection: BrokerConnection | null;
  connecting: Promise<BrokerConnection> | null;
  failures: number;
  nextAttemptMs: number;
  lastError: Error | null;
  /** When the current streak of failures began. */
  failingSinceMs: number;
}

export interface ConnectionPoolOptions {
  readonly clientId: string;
  readonly bootstrap: readonly NodeAddress[];
  readonly connectTimeoutMs: number;
  readonly reconnectBackoffMs?: number;
  readonly reconnectBackoffMaxMs?: number;
  /** Called when a connection becomes usable or breaks, so the owner can re-check what to send. */
  readonly onChange?: () => void;
  /** Connection failures and recoveries are logged here (warn / info). */
  readonly logger?: ClientLogger;
  /** TLS and SASL for every connection. */
  readonly security?: ConnectionSecurityOptions;
}

export class ConnectionPool {
  private readonly nodes = new Map<number, NodeState>();
  private closed = false;
  private bootstrapCursor = 0;
  private everConnected = false;
  /** The last fatal refusal (TLS or SASL); cleared by a successful connection. */
  private lastAuthenticationFailure: KafkaClientError | null = null;
  private readonly logger: ClientLogger;
  private readonly disconnectListeners: ((nodeId: number) => void)[] = [];

  constructor(private readonly options: ConnectionPoolOptions) {
    this.logger = options.logger ?? silentClientLogger;
    options.bootstrap.forEach((address, i) => this.nodes.set(-(i + 1), this.newState(address)));
  }

  private newState(address: NodeAddress): NodeState {
    return { address, connection: null, connecting: null, failures: 0, nextAttemptMs: 0, lastError: null, failingSinceMs: 0 };
  }

  /**
   * Calls `listener` whenever a connection attempt to a node fails or an open connection breaks (not on close()),
   * as NetworkClient tells its MetadataUpdater (`handleServerDisconnect`): a node that went away may have led
   * partitions, so the cluster view must be fetched again rather than trusted until metadata.max.age.ms.
   */
  onDisconnect(listener: (nodeId: number) => void): void {
    this.disconnectListeners.push(listener);
  }

  private disconnected(nodeId: number): void {
    if (this.closed) return;
    for (const listener of this.disconnectListeners) listener(nodeId);
  }

  /** Records the brokers named by metadata; a node whose address changed is reconnected. */
  updateNodes(brokers: readonly { nodeId: number; host: string; port: number }[]): void {
    for (const broker of brokers) {
      const state = this.nodes.get(broker.nodeId);
      if (state === undefined) this.nodes.set(broker.nodeId, this.newState({ host: broker.host, port: broker.port }));
      else if (state.address.host !== broker.host || state.address.port !== broker.port) {
        state.connection?.close();
        this.nodes.set(broker.nodeId, this.newState({ host: broker.host, port: broker.port }));
      }
    }
  }

  /** The node's connection if it is open now; otherwise starts connecting (respecting backoff) and returns null. */
  ready(nodeId: number): BrokerConnection | null {
    const state = this.nodes.get(nodeId);
    if (state === undefined) return null;
    if (state.connection !== null && !state.connection.closed) return state.connection;
    state.connection = null;
    if (state.connecting === null && Date.now() >= state.nextAttemptMs) void this.connect(nodeId).catch(() => undefined);
    return null;
  }

  /** Milliseconds until the node may be tried again (0 when it may be tried now). */
  backoffRemainingMs(nodeId: number): number {
    const state = this.nodes.get(nodeId);
    return state === undefined ? 0 : Math.max(0, state.nextAttemptMs - Date.now());
  }

  /** Connects (or returns the open connection) to a node, waiting out its backoff. */
  async connect(nodeId: number): Promise<BrokerConnection> {
    if (this.closed) throw new ConnectionError('the client is closed');
    const state = this.nodes.get(nodeId);
    if (state === undefined) throw new ConnectionError(`unknown broker node ${nodeId}`);
    if (state.connection !== null && !state.connection.closed) return state.connection;
    if (state.connecting !== null) return state.connecting;
    const wait = state.nextAttemptMs - Date.now();
    state.connecting = (async () => {
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const { host, port } = state.address;
      let connection: BrokerConnection | null = null;
      try {
        // A close() during the backoff or the connect must not leave a socket behind.
        if (this.closed) throw new ConnectionError('the client is closed');
        connection = await BrokerConnection.open({ host, port, clientId: this.options.clientId, connectTimeoutMs: this.options.connectTimeoutMs, ...this.options.security });
        if (this.closed) throw new ConnectionError('the client is closed');
        await this.handshake(connection, host, port);
        if (this.closed) throw new ConnectionError('the client is closed');
        if (state.failures > 0) this.logger.info({ broker: `${host}:${port}`, failedAttempts: state.failures }, 'connected to broker');
        state.failures = 0;
        state.lastError = null;
        this.everConnected = true;
        this.lastAuthenticationFailure = null;
        state.connection = connection;
        connection.onClose(() => {
          this.disconnected(nodeId);
          this.options.onChange?.();
        });
        return connection;
      } catch (error) {
        connection?.close();
        state.failures++;
        if (state.failures === 1) state.failingSinceMs = Date.now();
        state.lastError = error instanceof Error ? error : new ConnectionError(String(error));
        if (error instanceof KafkaClientError && !error.retriable) this.lastAuthenticationFailure = error;
        // The first failure of a streak, then every tenth: enough to see the cause without flooding the log.
        if (!this.closed && (state.failures === 1 || state.failures % 10 === 0)) {
          const code = (state.lastError.cause as { code?: unknown } | undefined)?.code;
          this.logger.warn({ broker: `${host}:${port}`, attempt: state.failures, ...(typeof code === 'string' ? { code } : {}), err: state.lastError.message }, 'cannot connect to broker');
        }
        const base = this.options.reconnectBackoffMs ?? 50;
        const max = this.options.reconnectBackoffMaxMs ?? 1000;
        const backoff = Math.min(max, base * 2 ** Math.min(state.failures - 1, 10));
        state.nextAttemptMs = Date.now() + backoff * (0.8 + Math.random() * 0.4);
        this.disconnected(nodeId);
        throw error;
      } finally {
        state.connecting = null;
        this.options.onChange?.();
      }
    })();
    return state.connecting;
  }

  /**
   * ApiVersions, bounded by the connect timeout: a peer that accepts the connection but does not answer it like a
   * Kafka broker (an HTTP server, a database, a silent port) is reported as such rather than waited on forever.
   */
  private async handshake(connection: BrokerConnection, host: string, port: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ConnectionError(`no answer within ${this.options.connectTimeoutMs} ms`)), this.options.connectTimeoutMs);
    });
    try {
      await Promise.race([connection.negotiateApiVersions(), timeout]);
    } catch (error) {
      // An authentication refusal says what to fix; it is not a peer that fails to speak Kafka.
      if (error instanceof KafkaClientError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConnectionError(`${host}:${port} accepted the connection but did not answer ApiVersions (${reason}); if it is not a Kafka broker, check the host and port`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The broker's refusal of this client's credentials or certificate (fatal: retrying with the same settings
   * cannot succeed), or null. Cleared when a connection succeeds.
   */
  authenticationFailure(): KafkaClientError | null {
    return this.closed ? null : this.lastAuthenticationFailure;
  }

  /**
   * The reason no broker can be reached, when no connection was ever made and every known address has failed
   * FAILURES_BEFORE_UNREACHABLE times in a row for UNREACHABLE_AFTER_MS (a wrong bootstrap, not a broker that
   * restarts mid-run); else null.
   */
  unreachable(): ConnectionError | null {
    if (this.everConnected || this.closed) return null;
    const reasons: string[] = [];
    let cause: Error | null = null;
    const now = Date.now();
    for (const state of this.nodes.values()) {
      if (state.failures < FAILURES_BEFORE_UNREACHABLE || state.lastError === null || now - state.failingSinceMs < UNREACHABLE_AFTER_MS) return null;
      reasons.push(state.lastError.message);
      cause ??= state.lastError;
    }
    if (cause === null) return null;
    return new ConnectionError(`no broker reachable (every bootstrap address failed for ${UNREACHABLE_AFTER_MS / 1000} s): ${reasons.join('; ')}`, { cause });
  }

  /** A connection to any node: an open one if there is one, else the known nodes and bootstrap addresses in turn. */
  async any(): Promise<BrokerConnection> {
    for (const state of this.nodes.values()) if (state.connection !== null && !state.connection.closed) return state.connection;
    const ids = [...this.nodes.keys()].sort((a, b) => (a >= 0 === b >= 0 ? 0 : a >= 0 ? -1 : 1));
    let lastError: unknown = null;
    const start = this.bootstrapCursor++ % ids.length;
    for (let i = 0; i < ids.length; i++) {
      try {
        return await this.connect(ids[(start + i) % ids.length]);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error ? lastError : new ConnectionError('no broker reachable');
  }

  /** The open connection with the fewest outstanding requests (`NetworkClient.leastLoadedNode`). */
  leastLoaded(): BrokerConnection | null {
    let best: BrokerConnection | null = null;
    for (const state of this.nodes.values()) {
      const connection = state.connection;
      if (connection === null || connection.closed) continue;
      if (best === null || connection.inFlight < best.inFlight) best = connection;
    }
    return best;
  }

  close(): void {
    this.closed = true;
    for (const state of this.nodes.values()) state.connection?.close();
  }
}
