// The broker: opens the logs, binds the listener, and wires connections to the request handlers.
// `startBroker()` with no options gives a broker on 127.0.0.1 at a free port with a fresh temp data dir,
// ready in milliseconds — the way tests embed it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defaultBrokerConfig, type BrokerConfig } from './config.ts';
import { unknownOptionMessage } from '../protocol/option-names.ts';
import type { BrokerContext } from './broker-context.ts';
import type { LogCleaner } from './log/cleaner/log-cleaner.ts';
import type { LogCleanerStats } from './log/cleaner/cleaner-stats.ts';
import { BrokerControl, type ControlFunction } from './broker-control.ts';
import { loadOrCreateIdentity } from './broker-identity.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { dispatchRequest } from './dispatch.ts';
import { handlerMap } from './handlers/registry.ts';
import type { ApiKey } from '../protocol/messages/generated/index.ts';
import { GroupCoordinator } from './group/group-coordinator.ts';
import type { GroupCoordinatorConfig } from './group/group-coordinator-config.ts';
import { LogManager } from './log/log-manager.ts';
import { DynamicBrokerConfigs } from './configs/dynamic-broker-configs.ts';
import { InternalTopics } from './internal-topics.ts';
import type { LogFileSystem } from './log/log-file-system.ts';
import { silentLogger, type BrokerLogger } from './logger.ts';
import { KafkaServer } from './server.ts';
import { MemoryBudget } from './memory-budget.ts';
import { FetchSessionCache } from './fetch-session-cache.ts';
import { ReadBufferPool } from './log/read-buffer-pool.ts';
import { REQUEST_SLAB_BYTES, REQUEST_SLABS_KEPT_IDLE, REQUEST_SLABS_MAX, RequestSlabPool } from '../internal/request-slabs.ts';
import { ProducerIdManager } from './producer-state/producer-id-manager.ts';
import { writeTxnMarkers } from './log/txn-markers.ts';
import { sendMarkersToSelf } from './txn/marker-channel.ts';
import { nodeFileSystem } from './log/log-file-system.ts';
import { TransactionCoordinator } from './txn/transaction-coordinator.ts';
import { startLogCleaner } from './start-log-cleaner.ts';
import { AclStore } from './security/authorizer/acl-store.ts';
import { advertisedAddresses, isTlsProtocol, resolveListeners, type Listener, type SecurityProtocol } from './security/listeners.ts';
import { tlsServerOptions } from './security/tls.ts';
import { SUPPORTED_SASL_MECHANISMS } from './security/sasl/sasl-server.ts';
import { ScramCredentialStore } from './security/scram-store.ts';
import { unsecuredJwsValidator, type OAuthBearerValidator } from './security/sasl/oauthbearer-server.ts';
import type { BrokerEndpoint } from './broker-context.ts';
import { BrokerMetricRegistry } from './metrics/broker-metric-registry.ts';
import { describeBrokerState, type ClusterState } from './metrics/cluster-state.ts';
import type { Registry } from 'prom-client';

/** Fetch reads into reused buffers of up to a consumer's default `max.partition.fetch.bytes` (1 MiB). */
const FETCH_READ_SLAB_BYTES = 1024 * 1024;
/** Bytes of read buffers kept for reuse while idle: what 16 catching-up consumers hold at once. */
const FETCH_READ_IDLE_BYTES = 16 * FETCH_READ_SLAB_BYTES;

/** Partitions a fetch session may hold beyond those the broker has (deleted or not yet created topics). */
const FETCH_SESSION_PARTITION_ALLOWANCE = 1000;

/** A topic `startBroker` creates before it resolves (Kafka's CreateTopics, defaults for what is left out). */
export interface InitialTopic {
  readonly name: string;
  /** Default: `numPartitions` (1). */
  readonly partitions?: number;
  /** Topic configs by Kafka name (`retention.ms`, `cleanup.policy`, ...). Default none. */
  readonly configs?: Readonly<Record<string, string>>;
}

/**
 * Options of `startBroker`: every `BrokerConfig` setting (see `defaultBrokerConfig` for the defaults: 127.0.0.1, port 0 = a
 * free port, a fresh temp data dir removed on close, `fsync: 'always'`, ...), plus the embedding hooks below. An
 * option name it does not know is an error naming the nearest valid one.
 */
export interface StartBrokerOptions extends Partial<BrokerConfig> {
  /**
   * Topics created before `startBroker` resolves, so a test can produce at once (like EmbeddedKafka's topics). A
   * topic that already exists in `dataDir` with the same partition count is kept as it is.
   */
  topics?: readonly InitialTopic[];
  /** A pino-compatible logger; silent by default. */
  logger?: BrokerLogger;
  /** Wall clock in ms (LogAppendTime, retention, expiration); injectable for tests. */
  clock?: () => number;
  /** Consumer-group coordinator settings (`group.initial.rebalance.delay.ms`, session timeout bounds, ...). */
  groupCoordinator?: Partial<GroupCoordinatorConfig>;
  /** The file system under every log, snapshot and checkpoint; injectable for disk-fault tests. */
  fs?: LogFileSystem;
  /**
   * Checks OAUTHBEARER tokens (when `saslEnabledMechanisms` includes OAUTHBEARER). Default: Kafka's unsecured JWS
   * validator (`sub` and a future `exp`, no signature), for development only.
   */
  oauthBearerValidator?: OAuthBearerValidator;
}

/** One bound listener: its name, security protocol, and the address clients are given for it. */
export interface RunningListener {
  readonly name: string;
  readonly securityProtocol: SecurityProtocol;
  /** The advertised `host:port`. */
  readonly bootstrap: string;
  readonly host: string;
  readonly port: number;
}

export interface RunningBroker {
  /** `host:port` of the first listener, to hand to a Kafka client. */
  readonly bootstrap: string;
  /** Every listener, in `listeners` order. */
  readonly listeners: readonly RunningListener[];
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly clusterId: string;
  /** Gauges and counters for monitoring (Kafka's `ProducerIdCount` gauge and seqlog's own). */
  metrics(): BrokerMetrics;
  /**
   * The log cleaner's statistics (per partition and totals, under the meaning of Kafka's
   * `kafka.log:type=LogCleaner` / `LogCleanerManager` gauges): a read-only copy taken at the call.
   */
  cleanerStats(): LogCleanerStats;
  /**
   * This broker's prom-client registry (its own, never the global one): every metric under Kafka's JMX-exporter
   * names (docs/metrics.md). `await registry.metrics()` is the Prometheus text `seqlog serve --metrics-port` serves.
   */
  readonly metricRegistry: Registry;
  /** Partitions, producer state, transactions and groups as the web console shows them. */
  describeState(): Promise<ClusterState>;
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
  /** Bytes held by connections now: requests read and not answered, answers not yet written. */
  queuedBytes: number;
  /** The highest `queuedBytes` seen since start (bounded by `queued.max.request.bytes` plus one read per connection). */
  peakQueuedBytes: number;
  /**
   * Partitions with an open transaction idle past `transaction.max.timeout.ms` + 5 min (Kafka's
   * `PartitionsWithLateTransactionsCount`): a hanging transaction pins their LSO (KIP-664 tooling aborts it).
   */
  partitionsWithLateTransactions: number;
  /** Incremental fetch sessions held (Kafka's `NumIncrementalFetchSessions`). */
  incrementalFetchSessions: number;
  /** Partitions over every fetch session (Kafka's `NumIncrementalFetchPartitionsCached`). */
  incrementalFetchPartitionsCached: number;
  /** Sessions evicted to make room for new ones since start (Kafka's `IncrementalFetchSessionEvictionsPerSec`, as a count). */
  incrementalFetchSessionEvictions: number;
  /** Read slabs of Fetch waiting for reuse (each came back after an answer read into it was written). */
  fetchReadSlabsFree: number;
}

const embeddingOptionNames = ['topics', 'logger', 'clock', 'groupCoordinator', 'fs', 'oauthBearerValidator'] as const satisfies readonly (keyof StartBrokerOptions)[];
const knownStartOptions: ReadonlySet<string> = new Set([...Object.keys(defaultBrokerConfig), ...embeddingOptionNames]);

/**
 * Starts a broker and resolves once it accepts connections (and `topics` exist). With no options: 127.0.0.1 on a
 * free port, a fresh temp data dir (removed by `close()`), silent; a `dataDir` that does not exist is created.
 * Rejects with ConfigError for an unknown option, DataDirLockedError when another broker owns `dataDir`, and the
 * listen error (EADDRINUSE) when the port is taken.
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const unknown = unknownOptionMessage(options, knownStartOptions, 'startBroker');
  if (unknown !== null) throw new ConfigError(unknown);
  const { topics = [], logger = silentLogger, clock = Date.now, groupCoordinator, fs, oauthBearerValidator, ...overrides } = options;
  const config: BrokerConfig = { ...defaultBrokerConfig, ...withoutUndefined(overrides) };
  const ownsDataDir = config.dataDir === '';
  if (ownsDataDir) config.dataDir = mkdtempSync(join(tmpdir(), 'seqlog-'));
  // Kafka creates missing log dirs at startup (LogManager.createAndValidateLogDirs); so does seqlog, before the
  // lock file inside it is taken.
  else mkdirSync(config.dataDir, { recursive: true });

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
  // Listener and TLS mistakes are configuration errors, found before anything is opened.
  const listeners = resolveListeners(config.listeners ?? `PLAINTEXT://${config.host}:${config.port}`, config.listenerSecurityProtocolMap);
  for (const mechanism of config.saslEnabledMechanisms) {
    if (!SUPPORTED_SASL_MECHANISMS.includes(mechanism)) throw new ConfigError(`unsupported SASL mechanism '${mechanism}' in saslEnabledMechanisms (seqlog offers ${SUPPORTED_SASL_MECHANISMS.join(', ')})`);
  }
  const tlsOptions = listeners.some((listener) => isTlsProtocol(listener.securityProtocol)) ? tlsServerOptions(config) : null;
  const lock = lockDataDir(config.dataDir);
  openedInOrder.push({ close: () => lock.release() });
  const servers: KafkaServer[] = [];
  const bound: Listener[] = [];
  let context: BrokerContext;
  let cleaner: LogCleaner;
  let logs: LogManager;
  // Created once the objects it reads exist; the hooks below fire only after that.
  let metrics: BrokerMetricRegistry | null = null;
  const controls = new BrokerControl();
  let markerTarget: BrokerContext | null = null;
  let identity: ReturnType<typeof loadOrCreateIdentity>;
  try {
    identity = loadOrCreateIdentity(config.dataDir, { clusterId: config.clusterId, nodeId: config.nodeId });
    // Every partition log rebuilds its producer state from its latest snapshot plus the log after it (Kafka's
    // `UnifiedLog.rebuildProducerState`) as it opens, so deduplication and open transactions survive restarts;
    // a clean close snapshots it at each log's end.
    // Dynamic broker configs set before this start apply from the first log opened.
    const dynamicConfigs = DynamicBrokerConfigs.open(fs ?? nodeFileSystem, config);
    logs = await LogManager.open({
      dataDir: config.dataDir,
      producerState: {
        producerIdExpirationMs: config.producerIdExpirationMs,
        maxProducerIds: config.maxProducerIdsPerPartition,
        maxTransactionTimeoutMs: config.transactionMaxTimeoutMs,
      },
      ...(fs === undefined ? {} : { fs }),
      config: dynamicConfigs.logDefaults(),
      clock,
      logger,
      retentionCheckIntervalMs: config.logRetentionCheckIntervalMs,
      onFlush: (timeMs) => metrics?.flushed(timeMs),
      onTopicDeleted: (name) => metrics?.forgetTopic(name),
      beforeLogsDeleted: (deleted) => cleaner.abortCleaning(deleted),
    });
    openedInOrder.push(logs);
    // Closed before the logs: an ongoing cleaning stops at its next yield.
    cleaner = startLogCleaner(logs, config, clock, logger, fs);
    const started = cleaner;
    openedInOrder.push({ close: () => started.close() });

    const groups = GroupCoordinator.open({
      dataDir: config.dataDir,
      config: {
        initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
        minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
        maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
        offsetsRetentionMs: config.offsetsRetentionMs,
        offsetsRetentionCheckIntervalMs: config.offsetsRetentionCheckIntervalMs,
        consumerGroupSessionTimeoutMs: config.groupConsumerSessionTimeoutMs,
        consumerGroupHeartbeatIntervalMs: config.groupConsumerHeartbeatIntervalMs,
        consumerGroupMaxSize: config.groupConsumerMaxSize,
        consumerGroupAssignors: config.groupConsumerAssignors,
        consumerGroupAssignmentIntervalMs: config.groupConsumerAssignmentIntervalMs,
        consumerGroupMigrationPolicy: config.groupConsumerMigrationPolicy,
        ...groupCoordinator,
      },
      durability: config.fsync,
      clock,
      logger,
      ...(fs === undefined ? {} : { fs }),
      onRebalance: (protocol) => metrics?.rebalanceStarted(protocol),
      topics: logs,
    });
    openedInOrder.push(groups);
    await createInitialTopics(logs, topics, config.numPartitions);

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
      // Through the broker's own WriteTxnMarkers handler once it serves requests (Kafka's coordinator sends that
      // request to the leader, itself included); transactions resumed while the broker opens write directly.
      writeMarkers: (marker) => (markerTarget === null ? writeTxnMarkers({ logs, clock, logger }, marker) : sendMarkersToSelf(markerTarget, marker)),
      completeTransactionalOffsets: (producerId, _producerEpoch, commit) => groups.completeTransaction(producerId, commit),
      onTransactionCompleted: (commit, durationMs) => metrics?.transactionCompleted(commit, durationMs),
    });
    openedInOrder.push(transactions);

    const acls =
      config.authorizer === null
        ? null
        : AclStore.open({ dataDir: config.dataDir, fs: fs ?? nodeFileSystem, logger, durability: config.fsync, superUsers: config.superUsers, allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound });
    if (acls !== null) openedInOrder.push(acls);

    // The endpoint is known only after binding (port 0), so the context is completed then.
    const connectionMemory = new MemoryBudget(config.queuedMaxRequestBytes);
    const endpoint = { nodeId: config.nodeId, host: config.host, port: config.port };
    const advertisedListeners = new Map<string, BrokerEndpoint>();
    const fetchSessions = new FetchSessionCache({
      maxEntries: config.maxIncrementalFetchSessionCacheSlots,
      evictionMs: config.minIncrementalFetchSessionEvictionMs,
      // Every partition the broker has, plus room for partitions of topics deleted while a consumer fetches them.
      maxPartitionsPerSession: () => logs.listTopics().reduce((sum, topic) => sum + topic.partitions, 0) + FETCH_SESSION_PARTITION_ALLOWANCE,
    });
    const openedLogs = logs;
    metrics = new BrokerMetricRegistry({
      logs: openedLogs,
      transactions,
      groups,
      connectionMemory,
      fetchSessions,
      connectionCount: () => servers.reduce((sum, server) => sum + server.connectionCount, 0),
      cleanerRuns: () => cleaner.lastRuns,
      cleanerStats: () => cleaner.stats(),
    });
    context = {
      config,
      dynamicConfigs,
      internalTopics: InternalTopics.open(fs ?? nodeFileSystem, config.dataDir, config.offsetsTopicNumPartitions),
      clusterId: identity.clusterId,
      endpoint,
      advertisedListeners,
      security: {
        enabledMechanisms: config.saslEnabledMechanisms,
        plainUsers: new Map(Object.entries(config.saslPlainUsers)),
        scramCredentials: ScramCredentialStore.open(config.dataDir),
        oauthBearerValidator: oauthBearerValidator ?? unsecuredJwsValidator(clock),
        connectionsMaxReauthMs: config.connectionsMaxReauthMs,
        failedAuthenticationDelayMs: config.connectionFailedAuthenticationDelayMs,
      },
      logs,
      producerIds,
      groups,
      transactions,
      logger,
      clock,
      acls,
      handlers: controls.wrap(handlerMap()),
      connectionMemory,
      fetchSessions,
      readBuffers: new ReadBufferPool(FETCH_READ_SLAB_BYTES, FETCH_READ_IDLE_BYTES),
      metrics,
    };
    const ready = context;
    markerTarget = ready;
    const requestSlabs = new RequestSlabPool(REQUEST_SLAB_BYTES, REQUEST_SLABS_MAX, REQUEST_SLABS_KEPT_IDLE);
    for (const listener of listeners) {
      const server = new KafkaServer((frame, connection, receivedAtMs) => dispatchRequest(ready, frame, connection, receivedAtMs), {
        listener,
        tls: isTlsProtocol(listener.securityProtocol) ? tlsOptions : null,
        maxFrameBytes: config.socketRequestMaxBytes,
        idleMs: config.connectionsMaxIdleMs,
        frameReceiveTimeoutMs: config.socketRequestReceiveTimeoutMs,
        memory: connectionMemory,
        requestSlabs,
      }, logger);
      const port = await server.listen();
      servers.push(server);
      openedInOrder.push({ close: () => server.close() });
      bound.push({ ...listener, port });
    }
    // Port 0 is known only after binding; so is each listener's advertised address.
    const legacyAdvertised = config.advertisedHost === null ? null : `${listeners[0].name}://${config.advertisedHost}:${config.advertisedPort ?? 0}`;
    for (const [name, address] of advertisedAddresses(bound, config.advertisedListeners ?? legacyAdvertised)) {
      advertisedListeners.set(name, { nodeId: config.nodeId, host: address.host, port: address.port });
    }
    Object.assign(endpoint, advertisedListeners.get(listeners[0].name));
  } catch (error) {
    await closeOpened();
    throw error;
  }
  const endpoint = context.endpoint;
  const port = bound[0].port;
  const runningListeners: RunningListener[] = bound.map((listener) => {
    const advertised = context.advertisedListeners.get(listener.name) as BrokerEndpoint;
    return { name: listener.name, securityProtocol: listener.securityProtocol, host: advertised.host, port: advertised.port, bootstrap: `${advertised.host}:${advertised.port}` };
  });

  let closing: Promise<void> | null = null;
  return {
    bootstrap: `${endpoint.host}:${endpoint.port}`,
    listeners: runningListeners,
    host: endpoint.host,
    port,
    dataDir: config.dataDir,
    clusterId: identity.clusterId,
    metrics() {
      const memory = context.connectionMemory;
      return {
        connections: servers.reduce((sum, server) => sum + server.connectionCount, 0),
        ...logs.producerStateMetrics(),
        partitionsWithLateTransactions: logs.partitionsWithLateTransactions(),
        queuedBytes: memory.used,
        peakQueuedBytes: memory.peak,
        incrementalFetchSessions: context.fetchSessions.size,
        incrementalFetchPartitionsCached: context.fetchSessions.totalPartitions,
        incrementalFetchSessionEvictions: context.fetchSessions.evictions,
        fetchReadSlabsFree: context.readBuffers.freeSlabs,
      };
    },
    cleanerStats() {
      return cleaner.stats();
    },
    metricRegistry: context.metrics.registry,
    describeState() {
      return describeBrokerState(context);
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

async function createInitialTopics(logs: LogManager, topics: readonly InitialTopic[], defaultPartitions: number): Promise<void> {
  for (const topic of topics) {
    const partitions = topic.partitions ?? defaultPartitions;
    const existing = logs.topic(topic.name);
    if (existing !== undefined) {
      if (existing.partitions !== partitions) {
        throw new ConfigError(`topic '${topic.name}' already exists in the data dir with ${existing.partitions} partitions, not ${partitions}`);
      }
      continue;
    }
    await logs.createTopic(topic.name, { partitions, configs: { ...topic.configs } });
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
