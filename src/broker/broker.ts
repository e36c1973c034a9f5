// The broker: opens the logs, binds the listener, and wires connections to the request handlers.
// `startBroker()` with no options gives a broker on 127.0.0.1 at a free port with a fresh temp data dir,
// ready in milliseconds — the way tests embed it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultBrokerConfig, type BrokerConfig } from './config.ts';
import type { BrokerContext } from './broker-context.ts';
import { BrokerControl, type ControlFunction } from './broker-control.ts';
import { loadOrCreateIdentity } from './broker-identity.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { dispatchRequest } from './dispatch.ts';
import { handlerMap } from './handlers/registry.ts';
import type { ApiKey } from '../protocol/messages/generated/index.ts';
import { GroupCoordinator } from './group/group-coordinator.ts';
import type { GroupCoordinatorConfig } from './group/group-coordinator-config.ts';
import { LogManager } from './log/log-manager.ts';
import { logConfigFromBroker } from './log/log-config.ts';
import type { LogFileSystem } from './log/log-file-system.ts';
import { silentLogger, type BrokerLogger } from './logger.ts';
import { KafkaServer } from './server.ts';
import { ProducerIdManager } from './producer-state/producer-id-manager.ts';
import { writeTxnMarkers } from './log/txn-markers.ts';
import { nodeFileSystem } from './log/log-file-system.ts';
import { TransactionCoordinator } from './txn/transaction-coordinator.ts';

export interface StartBrokerOptions extends Partial<BrokerConfig> {
  /** A pino-compatible logger; silent by default. */
  logger?: BrokerLogger;
  /** Wall clock in ms (LogAppendTime, retention, expiration); injectable for tests. */
  clock?: () => number;
  /** Consumer-group coordinator settings (`group.initial.rebalance.delay.ms`, session timeout bounds, ...). */
  groupCoordinator?: Partial<GroupCoordinatorConfig>;
  /** The file system under every log, snapshot and checkpoint; injectable for disk-fault tests. */
  fs?: LogFileSystem;
}

export interface RunningBroker {
  /** `host:port` to hand to a Kafka client. */
  readonly bootstrap: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly clusterId: string;
  /** Gauges and counters for monitoring (Kafka's `ProducerIdCount` gauge and seqlog's own). */
  metrics(): BrokerMetrics;
  /**
   * Intercepts requests of one API key before their handler (franz-go kfake's `ControlKey`): `control` answers a
   * request by returning `{ response }`, or returns nothing to let it (possibly changed in place) through.
   * Returns a function that removes the control. This is the testkit's fault-injection point.
   */
  control<K extends ApiKey>(apiKey: K, control: ControlFunction<K>): () => void;
  /** Stops accepting, closes connections, flushes and closes every log (a clean shutdown). */
  close(): Promise<void>;
}

export interface BrokerMetrics {
  /** Open client connections. */
  connections: number;
  /** Producer ids tracked over every partition (Kafka's `ProducerIdCount`). */
  producerIdCount: number;
  /** Producers forgotten because a partition reached `producer.id.max.per.partition`. */
  evictedProducerIds: number;
  /** Producers forgotten after `producer.id.expiration.ms` without a write (KIP-854). */
  expiredProducerIds: number;
  /**
   * Partitions with an open transaction idle past `transaction.max.timeout.ms` + 5 min (Kafka's
   * `PartitionsWithLateTransactionsCount`): a hanging transaction pins their LSO (KIP-664 tooling aborts it).
   */
  partitionsWithLateTransactions: number;
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const { logger = silentLogger, clock = Date.now, groupCoordinator, fs, ...overrides } = options;
  const config: BrokerConfig = { ...defaultBrokerConfig, ...withoutUndefined(overrides) };
  const ownsDataDir = config.dataDir === '';
  if (ownsDataDir) config.dataDir = mkdtempSync(join(tmpdir(), 'seqlog-'));

  // Everything opened is closed in reverse order, by close() or by a start that fails half-way.
  const openedInOrder: { close(): void | Promise<void> }[] = [];
  const closeOpened = async (): Promise<void> => {
    // Every part gets closed even when one fails (a crash simulation fails the disk): the lock must be released.
    let firstError: unknown = null;
    for (const opened of openedInOrder.splice(0).reverse()) {
      try {
        await opened.close();
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError !== null) throw firstError;
  };
  const lock = lockDataDir(config.dataDir);
  openedInOrder.push({ close: () => lock.release() });
  let server: KafkaServer;
  let port: number;
  let context: BrokerContext;
  let logs: LogManager;
  const controls = new BrokerControl();
  let identity: ReturnType<typeof loadOrCreateIdentity>;
  try {
    identity = loadOrCreateIdentity(config.dataDir, { clusterId: config.clusterId, nodeId: config.nodeId });
    // Every partition log rebuilds its producer state from its latest snapshot plus the log after it (Kafka's
    // `UnifiedLog.rebuildProducerState`) as it opens, so deduplication and open transactions survive restarts;
    // a clean close snapshots it at each log's end.
    logs = await LogManager.open({
      dataDir: config.dataDir,
      producerState: {
        producerIdExpirationMs: config.producerIdExpirationMs,
        maxProducerIds: config.maxProducerIdsPerPartition,
        maxTransactionTimeoutMs: config.transactionMaxTimeoutMs,
      },
      ...(fs === undefined ? {} : { fs }),
      config: logConfigFromBroker(config),
      clock,
      logger,
      retentionCheckIntervalMs: config.logRetentionCheckIntervalMs,
    });
    openedInOrder.push(logs);

    const groups = GroupCoordinator.open({
      dataDir: config.dataDir,
      config: {
        initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
        minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
        maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
        offsetsRetentionMs: config.offsetsRetentionMs,
        ...groupCoordinator,
      },
      durability: config.fsync,
      clock,
      logger,
      ...(fs === undefined ? {} : { fs }),
    });
    openedInOrder.push(groups);

    const producerIds = ProducerIdManager.open(config.dataDir, fs);
    // Opened after the logs and groups it writes markers to, so closed before them: marker rounds in flight finish
    // first. Transactions left in PrepareCommit/PrepareAbort by a crash are completed from here on.
    const transactions = TransactionCoordinator.open({
      dataDir: config.dataDir,
      fs: fs ?? nodeFileSystem,
      logger,
      clock,
      durability: config.fsync,
      config: {
        transactionMaxTimeoutMs: config.transactionMaxTimeoutMs,
        transactionalIdExpirationMs: config.transactionalIdExpirationMs,
        abortTimedOutTransactionCleanupIntervalMs: config.transactionAbortTimedOutTransactionCleanupIntervalMs,
        removeExpiredTransactionalIdsIntervalMs: config.transactionRemoveExpiredTransactionCleanupIntervalMs,
        offsetsTopicNumPartitions: config.offsetsTopicNumPartitions,
      },
      generateProducerId: () => producerIds.generateProducerId(),
      writeMarkers: (marker) => writeTxnMarkers({ logs, clock, logger }, marker),
      completeTransactionalOffsets: (producerId, _producerEpoch, commit) => groups.completeTransaction(producerId, commit),
    });
    openedInOrder.push(transactions);

    // The endpoint is known only after binding (port 0), so the context is completed then.
    const endpoint = { nodeId: config.nodeId, host: config.advertisedHost ?? config.host, port: config.advertisedPort ?? config.port };
    context = {
      config,
      clusterId: identity.clusterId,
      endpoint,
      logs,
      producerIds,
      groups,
      transactions,
      logger,
      clock,
      handlers: controls.wrap(handlerMap()),
    };
    const ready = context;
    server = new KafkaServer((frame, connection) => dispatchRequest(ready, frame, connection), {
      host: config.host,
      port: config.port,
      maxFrameBytes: config.socketRequestMaxBytes,
    }, logger);
    port = await server.listen();
    const listening = server;
    openedInOrder.push({ close: () => listening.close() });
  } catch (error) {
    await closeOpened();
    throw error;
  }
  const endpoint = context.endpoint as { nodeId: number; host: string; port: number };
  if (config.advertisedPort === null) endpoint.port = port;
  if (config.advertisedHost === null && (config.host === '0.0.0.0' || config.host === '::')) endpoint.host = '127.0.0.1';

  let closing: Promise<void> | null = null;
  return {
    bootstrap: `${endpoint.host}:${endpoint.port}`,
    host: endpoint.host,
    port,
    dataDir: config.dataDir,
    clusterId: identity.clusterId,
    metrics() {
      return { connections: server.connectionCount, ...logs.producerStateMetrics(), partitionsWithLateTransactions: logs.partitionsWithLateTransactions() };
    },
    control(apiKey, control) {
      return controls.add(apiKey, control);
    },
    close() {
      closing ??= (async () => {
        try {
          await closeOpened();
        } finally {
          if (ownsDataDir) rmSync(config.dataDir, { recursive: true, force: true });
        }
      })();
      return closing;
    },
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
