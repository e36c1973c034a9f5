// The broker: opens the logs, binds the listener, and wires connections to the request handlers.
// `startBroker()` with no options gives a broker on 127.0.0.1 at a free port with a fresh temp data dir,
// ready in milliseconds — the way tests embed it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultBrokerConfig, type BrokerConfig } from './config.ts';
import type { BrokerContext, BrokerTestHooks } from './broker-context.ts';
import { loadOrCreateIdentity } from './broker-identity.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { dispatchRequest } from './dispatch.ts';
import { handlerMap } from './handlers/registry.ts';
import { GroupCoordinator } from './group/group-coordinator.ts';
import type { GroupCoordinatorConfig } from './group/group-coordinator-config.ts';
import { LogManager } from './log/log-manager.ts';
import { logConfigFromBroker } from './log/log-config.ts';
import type { LogFileSystem } from './log/log-file-system.ts';
import { silentLogger, type BrokerLogger } from './logger.ts';
import { KafkaServer } from './server.ts';
import { MemoryBudget } from './memory-budget.ts';
import { ProducerIdManager } from './producer-state/producer-id-manager.ts';
import { ProducerStateRegistry } from './producer-state/producer-state-registry.ts';

export interface StartBrokerOptions extends Partial<BrokerConfig> {
  /** A pino-compatible logger; silent by default. */
  logger?: BrokerLogger;
  /** Wall clock in ms (LogAppendTime, retention, expiration); injectable for tests. */
  clock?: () => number;
  /** Consumer-group coordinator settings (`group.initial.rebalance.delay.ms`, session timeout bounds, ...). */
  groupCoordinator?: Partial<GroupCoordinatorConfig>;
  /** The file system under every log, snapshot and checkpoint; injectable for disk-fault tests. */
  fs?: LogFileSystem;
  /** TEST ONLY: fault switches for mutation tests (see `BrokerTestHooks`). */
  testHooks?: BrokerTestHooks;
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
  /** Bytes held by connections now: requests read and not answered, answers not yet written. */
  queuedBytes: number;
  /** The highest `queuedBytes` seen since start (bounded by `queued.max.request.bytes` plus one read per connection). */
  peakQueuedBytes: number;
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const { logger = silentLogger, clock = Date.now, groupCoordinator, fs, testHooks, ...overrides } = options;
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
  let producerStates: ProducerStateRegistry;
  let identity: ReturnType<typeof loadOrCreateIdentity>;
  try {
    identity = loadOrCreateIdentity(config.dataDir, { clusterId: config.clusterId, nodeId: config.nodeId });
    producerStates = new ProducerStateRegistry({
      dataDir: config.dataDir,
      clock,
      logger,
      ...(fs === undefined ? {} : { fs }),
      config: { producerIdExpirationMs: config.producerIdExpirationMs, maxProducerIds: config.maxProducerIdsPerPartition },
    });
    const logs = await LogManager.open({
      hooksFor: producerStates.hooksFor,
      dataDir: config.dataDir,
      ...(fs === undefined ? {} : { fs }),
      config: logConfigFromBroker(config),
      clock,
      logger,
      retentionCheckIntervalMs: config.logRetentionCheckIntervalMs,
    });
    openedInOrder.push(logs);
    // Rebuilds every partition's producer state from its latest snapshot plus the log after it (Kafka's
    // `UnifiedLog.rebuildProducerState`), so deduplication holds across restarts. Closed before the logs: a clean
    // close snapshots producer state at each log's end.
    producerStates.loadAll(logs);
    const states = producerStates;
    openedInOrder.push({ close: () => states.close() });

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

    // The endpoint is known only after binding (port 0), so the context is completed then.
    const connectionMemory = new MemoryBudget(config.queuedMaxRequestBytes);
    const endpoint = { nodeId: config.nodeId, host: config.advertisedHost ?? config.host, port: config.advertisedPort ?? config.port };
    context = {
      config,
      clusterId: identity.clusterId,
      endpoint,
      logs,
      producerIds: ProducerIdManager.open(config.dataDir, fs),
      producerStates,
      groups,
      logger,
      clock,
      handlers: handlerMap(),
      connectionMemory,
      ...(testHooks === undefined ? {} : { testHooks }),
    };
    const ready = context;
    server = new KafkaServer((frame, connection) => dispatchRequest(ready, frame, connection), {
      host: config.host,
      port: config.port,
      maxFrameBytes: config.socketRequestMaxBytes,
      idleMs: config.connectionsMaxIdleMs,
      frameReceiveTimeoutMs: config.socketRequestReceiveTimeoutMs,
      memory: connectionMemory,
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
      const memory = context.connectionMemory;
      return { connections: server.connectionCount, ...producerStates.metrics(), queuedBytes: memory.used, peakQueuedBytes: memory.peak };
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
