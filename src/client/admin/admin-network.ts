// The admin client's view of the cluster: one connection per node (opened on demand, ApiVersions negotiated),
// the brokers named by the latest Metadata, and a retry loop for what Kafka's admin client retries until
// `default.api.timeout.ms` (dropped connections, retriable error codes). Like KafkaAdminClient, requests that need
// a particular node (a partition leader, a group coordinator, a broker's own configs) are sent to it.
import { BrokerConnection } from '../connection/broker-connection.ts';
import { ConnectionError } from '../connection/connection-error.ts';
import type { ApiKey, RequestByApiKey, ResponseByApiKey } from '../../protocol/messages/generated/index.ts';
import { errorName, isRetriable } from '../../protocol/errors/index.ts';
import { ErrorKind, KafkaClientError } from '../errors/kafka-client-error.ts';
import type { ResolvedAdminOptions } from './admin-options.ts';

/** Kafka's error codes used for failures the client itself detects. */
const REQUEST_TIMED_OUT = 7;
const NETWORK_EXCEPTION = 13;
const UNSUPPORTED_VERSION = 35;

/** With no broker ever reached, give up on the bootstrap after this many rounds over at least this long. */
const UNREACHABLE_ROUNDS = 3;
const UNREACHABLE_AFTER_MS = 2000;
const RETRY_BACKOFF_MS = 100;
const RETRY_BACKOFF_MAX_MS = 1000;

/**
 * A KafkaClientError for a Kafka error code answered by a broker. `final` marks a retriable code that is an answer
 * here (a topic that does not exist is UNKNOWN_TOPIC_OR_PARTITION, retriable in Kafka's table because metadata may
 * lag, but KafkaAdminClient fails describeTopics with it at once).
 */
export function brokerError(code: number, message: string | null, what: string, final = false): KafkaClientError {
  const name = errorName(code);
  return new KafkaClientError({
    code,
    kind: isRetriable(code) && !final ? ErrorKind.retriable : ErrorKind.abortable,
    message: `${what}: ${name}${message ? ` (${message})` : ''}`,
  });
}

function isRetriableFailure(error: unknown): boolean {
  return error instanceof ConnectionError || (error instanceof KafkaClientError && error.retriable);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class AdminNetwork {
  /** Known nodes: bootstrap addresses get negative ids until Metadata names the real nodes. */
  private readonly addresses = new Map<number, { host: string; port: number }>();
  private readonly connections = new Map<number, Promise<BrokerConnection>>();
  private everConnected = false;
  private closed = false;

  constructor(private readonly options: ResolvedAdminOptions) {
    options.bootstrap.forEach((address, index) => this.addresses.set(-(index + 1), address));
  }

  /** Records the brokers named by Metadata or DescribeCluster. */
  updateNodes(brokers: readonly { nodeId: number; host: string; port: number }[]): void {
    for (const { nodeId, host, port } of brokers) {
      const known = this.addresses.get(nodeId);
      if (known !== undefined && (known.host !== host || known.port !== port)) this.drop(nodeId);
      this.addresses.set(nodeId, { host, port });
    }
  }

  private drop(nodeId: number): void {
    const connection = this.connections.get(nodeId);
    this.connections.delete(nodeId);
    void connection?.then((open) => open.close(), () => undefined);
  }

  private connect(nodeId: number): Promise<BrokerConnection> {
    const existing = this.connections.get(nodeId);
    if (existing !== undefined) return existing;
    const address = this.addresses.get(nodeId);
    if (address === undefined) return Promise.reject(new ConnectionError(`node ${nodeId} is not known to the cluster metadata`));
    const opening = (async () => {
      const connection = await BrokerConnection.open({ ...address, clientId: this.options.clientId, connectTimeoutMs: this.options.connectTimeoutMs, ...this.options.security });
      connection.onClose(() => {
        if (this.connections.get(nodeId) === opening) this.connections.delete(nodeId);
      });
      try {
        await connection.negotiateApiVersions();
      } catch (error) {
        connection.close();
        throw error;
      }
      this.everConnected = true;
      return connection;
    })();
    this.connections.set(nodeId, opening);
    opening.catch(() => {
      if (this.connections.get(nodeId) === opening) this.connections.delete(nodeId);
    });
    return opening;
  }

  /** A connection to any reachable node: an open one first, then each known node in turn. */
  private async anyConnection(): Promise<BrokerConnection> {
    const candidates = [...this.addresses.keys()].sort((a, b) => (a < 0) === (b < 0) ? a - b : a < 0 ? 1 : -1);
    let lastError: unknown = null;
    for (const nodeId of candidates) {
      try {
        return await this.connect(nodeId);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error ? lastError : new ConnectionError('no broker address to connect to');
  }

  /**
   * Sends one request to `nodeId` (null: any node) at the highest version both sides speak within
   * [ourMin, ourMax]; `build` makes the body for that version.
   */
  async send<K extends ApiKey>(
    nodeId: number | null,
    apiKey: K,
    ourMin: number,
    ourMax: number,
    build: (version: number) => RequestByApiKey[K],
  ): Promise<{ response: ResponseByApiKey[K]; version: number }> {
    if (this.closed) throw new KafkaClientError({ code: -1, errorName: 'ADMIN_CLOSED', kind: ErrorKind.fatal, message: 'the admin client is closed' });
    const connection = nodeId === null ? await this.anyConnection() : await this.connect(nodeId);
    const version = connection.versionFor(apiKey, ourMin, ourMax);
    if (version === null) {
      throw new KafkaClientError({
        code: UNSUPPORTED_VERSION,
        kind: ErrorKind.abortable,
        message: `the broker does not serve API key ${apiKey} at a version this client speaks (${ourMin}-${ourMax})`,
      });
    }
    return { response: await connection.send(apiKey, version, build(version)), version };
  }

  /**
   * Runs `operation` until it succeeds, fails with a non-retriable error, or `timeoutMs` passes (then
   * REQUEST_TIMED_OUT with the last failure as cause). A bootstrap never reached fails after a few rounds instead.
   */
  async retrying<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const started = Date.now();
    let backoff = RETRY_BACKOFF_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (!isRetriableFailure(error) || this.closed) throw error;
        const elapsed = Date.now() - started;
        if (!this.everConnected && error instanceof ConnectionError && attempt >= UNREACHABLE_ROUNDS && elapsed >= UNREACHABLE_AFTER_MS) {
          const addresses = this.options.bootstrap.map(({ host, port }) => `${host}:${port}`).join(', ');
          throw new KafkaClientError({
            code: NETWORK_EXCEPTION,
            kind: ErrorKind.retriable,
            message: `${what}: no broker reachable at ${addresses} (${error.message}); check the address and that the broker is running`,
            cause: error,
          });
        }
        if (elapsed + backoff > this.options.timeoutMs) {
          throw new KafkaClientError({
            code: REQUEST_TIMED_OUT,
            kind: ErrorKind.retriable,
            message: `${what}: timed out after ${this.options.timeoutMs} ms; last failure: ${(error as Error).message}`,
            cause: error,
          });
        }
        this.options.logger.debug({ error: (error as Error).message, attempt }, `${what}: retrying`);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, RETRY_BACKOFF_MAX_MS);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const nodeId of [...this.connections.keys()]) this.drop(nodeId);
  }
}
