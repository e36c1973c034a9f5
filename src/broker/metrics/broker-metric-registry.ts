// The broker's Prometheus metrics, one prom-client `Registry` per broker instance (several embedded brokers in one
// process never share a metric). Names are Kafka's JMX names as the Prometheus JMX exporter's Kafka rules map them
// (`kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec,topic=t` -> `kafka_server_brokertopicmetrics_bytesin_total
// {topic="t"}`), so dashboards built for Kafka read seqlog; what Kafka has no metric for is named `seqlog_*`.
// docs/metrics.md lists every metric with its Kafka counterpart.
//
// Two kinds of instruments:
// - events counted where they happen (requests, bytes, errors, fsyncs, duplicates, transaction outcomes): the hot
//   paths hold a cell resolved once (per API key, per topic) and add to plain numbers (plain-instruments.ts), which
//   prom-client formats at scrape time;
// - state read at scrape time (offsets, producer ids, transactions by state, groups, lag): `collect` callbacks walk
//   the broker's objects when Prometheus asks, so appends pay nothing for them.
import { Counter, Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge, scrapedGaugeSeries } from '../../internal/scraped-metrics.ts';
import { PlainCounter, PlainHistogram, type CountCell } from './plain-instruments.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { errorName } from '../../protocol/errors/index.ts';
import type { LogManager } from '../log/log-manager.ts';
import type { GroupCoordinator } from '../group/group-coordinator.ts';
import type { TransactionCoordinator } from '../txn/transaction-coordinator.ts';
import { transactionStateName, TransactionState } from '../txn/transaction-state.ts';
import type { MemoryBudget } from '../memory-budget.ts';
import type { FetchSessionCache } from '../fetch-session-cache.ts';
import type { CleanerRun } from '../log/cleaner/log-cleaner.ts';
import type { LogCleanerStats } from '../log/cleaner/cleaner-stats.ts';

/** What the scrape-time collectors read. */
export interface BrokerMetricSources {
  readonly logs: LogManager;
  readonly transactions: TransactionCoordinator;
  readonly groups: GroupCoordinator;
  readonly connectionMemory: MemoryBudget;
  readonly fetchSessions: FetchSessionCache;
  connectionCount(): number;
  /** The log cleaner's last run per partition (`topic-partition`), a read-only view. */
  cleanerRuns(): ReadonlyMap<string, CleanerRun>;
  /** The log cleaner's own statistics (Kafka's cleaner gauges it keeps itself). */
  cleanerStats(): LogCleanerStats;
}

/** Request latency buckets in ms (Kafka's TotalTimeMs is in ms; these span a cached read to a slow fsync). */
const REQUEST_TIME_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
/** fsync latency buckets in ms. */
const FLUSH_TIME_BUCKETS_MS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000];
/** Transaction duration buckets in ms (first partition added to CompleteCommit/CompleteAbort). */
const TRANSACTION_TIME_BUCKETS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000];

const apiNames: ReadonlyMap<number, string> = new Map(Object.entries(ApiKey).map(([name, key]) => [key as number, name]));

/**
 * What a request of one API key updates; resolved once per key. Times are `performance.now()` readings, the
 * timestamps Kafka's `RequestChannel.Request` keeps: frame read, handler started, answer encoded, answer handed
 * to the socket.
 */
export interface RequestMetric {
  /** `RequestsPerSec`, `TotalTimeMs` and its split (`RequestQueueTimeMs`, `LocalTimeMs`, `ResponseSendTimeMs`). */
  completed(receivedAtMs: number, startedAtMs: number, readyAtMs: number, sentAtMs: number): void;
  /** `ErrorsPerSec`: every error code of the answer, NONE included (Kafka's `AbstractResponse.errorCounts`). */
  answered(body: object): void;
}

/** Per-topic `BrokerTopicMetrics` children, resolved once per topic. */
export interface TopicMetric {
  /** One batch appended: its size and record count (`BytesInPerSec`, `MessagesInPerSec`). */
  appended(bytes: number, records: number): void;
  /** A retried batch answered from the producer's dedup window, not stored again. */
  duplicate(): void;
  /** Record bytes returned by Fetch (`BytesOutPerSec`). */
  read(bytes: number): void;
}

type HistogramCellOf = ReturnType<PlainHistogram<never>['cell']>;

export class BrokerMetricRegistry {
  /** The Prometheus registry of this broker; `metrics()` renders the text exposition format. */
  readonly registry = new Registry();
  private readonly requests: PlainCounter<'request'>;
  private readonly requestTime: PlainHistogram<'request'>;
  private readonly requestQueueTime: PlainHistogram<'request'>;
  private readonly localTime: PlainHistogram<'request'>;
  private readonly responseSendTime: PlainHistogram<'request'>;
  private readonly errors: PlainCounter<'request' | 'error'>;
  private readonly bytesIn: PlainCounter<'topic'>;
  private readonly messagesIn: PlainCounter<'topic'>;
  private readonly bytesOut: PlainCounter<'topic'>;
  private readonly duplicates: PlainCounter<'topic'>;
  private readonly flushTime: HistogramCellOf;
  private readonly transactionsCompleted: Counter<'result'>;
  private readonly transactionTime: PlainHistogram<'result'>;
  private readonly rebalances: Counter<'protocol'>;
  private readonly consumerRebalances: Counter;
  private readonly committedTime: HistogramCellOf;
  private readonly abortedTime: HistogramCellOf;
  private readonly requestMetrics = new Map<number, RequestMetric>();
  private readonly topicMetrics = new Map<string, TopicMetric>();
  private readonly topicCells = new Map<string, Record<'bytesIn' | 'messagesIn' | 'bytesOut' | 'duplicates', CountCell>>();

  constructor(sources: BrokerMetricSources) {
    const registers = [this.registry];
    const registry = this.registry;
    const requestTimeHistogram = (name: string, help: string): PlainHistogram<'request'> => new PlainHistogram(name, help, REQUEST_TIME_BUCKETS_MS, registry);
    const topicCounter = (name: string, help: string): PlainCounter<'topic'> => new PlainCounter({ name, help, labelNames: ['topic'], registry });
    this.requests = new PlainCounter({
      name: 'kafka_network_requestmetrics_requests_total',
      help: 'Requests handled, by API (kafka.network:type=RequestMetrics,name=RequestsPerSec).',
      labelNames: ['request'],
      registry,
    });
    this.requestTime = requestTimeHistogram(
      'kafka_network_requestmetrics_totaltimems',
      'Time from a request read to its answer handed to the socket, ms (kafka.network:type=RequestMetrics,name=TotalTimeMs).',
    );
    this.requestQueueTime = requestTimeHistogram(
      'kafka_network_requestmetrics_requestqueuetimems',
      'Time a read request waited for its connection to take it (one request at a time), ms (kafka.network:type=RequestMetrics,name=RequestQueueTimeMs).',
    );
    this.localTime = requestTimeHistogram(
      'kafka_network_requestmetrics_localtimems',
      'Time from the handler starting to the answer encoded (fsync and long-poll waits included), ms (kafka.network:type=RequestMetrics,name=LocalTimeMs).',
    );
    this.responseSendTime = requestTimeHistogram(
      'kafka_network_requestmetrics_responsesendtimems',
      'Time from the answer encoded to its bytes handed to the socket (earlier answers of the connection first), ms (kafka.network:type=RequestMetrics,name=ResponseSendTimeMs).',
    );
    this.errors = new PlainCounter({
      name: 'kafka_network_requestmetrics_errors_total',
      help: 'Error codes answered, NONE included, by API and error name (kafka.network:type=RequestMetrics,name=ErrorsPerSec).',
      labelNames: ['request', 'error'],
      registry,
    });
    this.bytesIn = topicCounter(
      'kafka_server_brokertopicmetrics_bytesin_total',
      'Record batch bytes appended by Produce (kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec).',
    );
    this.messagesIn = topicCounter(
      'kafka_server_brokertopicmetrics_messagesin_total',
      'Records appended by Produce (kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec).',
    );
    this.bytesOut = topicCounter(
      'kafka_server_brokertopicmetrics_bytesout_total',
      'Record bytes returned by Fetch (kafka.server:type=BrokerTopicMetrics,name=BytesOutPerSec).',
    );
    this.duplicates = topicCounter(
      'seqlog_server_duplicate_batches_total',
      "Retried batches answered from a producer's dedup window (its last 5 batches) instead of being appended again.",
    );
    this.flushTime = new PlainHistogram<never>(
      'kafka_log_logflushstats_logflushrateandtimems',
      'Partition log fsyncs and their duration, ms (kafka.log:type=LogFlushStats,name=LogFlushRateAndTimeMs).',
      FLUSH_TIME_BUCKETS_MS,
      registry,
    ).cell({});
    this.transactionsCompleted = new Counter({
      name: 'seqlog_transactions_completed_total',
      help: 'Transactions completed by the coordinator (CompleteCommit or CompleteAbort), by result.',
      labelNames: ['result'],
      registers,
    });
    this.transactionTime = new PlainHistogram(
      'seqlog_transaction_duration_ms',
      'Transaction duration from its start to CompleteCommit/CompleteAbort, ms.',
      TRANSACTION_TIME_BUCKETS_MS,
      registry,
    );
    this.committedTime = this.transactionTime.cell({ result: 'commit' });
    this.abortedTime = this.transactionTime.cell({ result: 'abort' });
    this.rebalances = new Counter({
      name: 'kafka_server_group_coordinator_metrics_group_rebalance_count',
      help: 'Classic group rebalances started (kafka.server:type=group-coordinator-metrics,name=group-rebalance-count).',
      labelNames: ['protocol'],
      registers,
    });
    this.consumerRebalances = new Counter({
      name: 'kafka_server_group_coordinator_metrics_consumer_group_rebalance_count',
      help: 'Consumer group (KIP-848) epoch bumps (kafka.server:type=group-coordinator-metrics,name=consumer-group-rebalance-count).',
      registers,
    });
    registerStateCollectors(registers, sources);
  }

  /** The children one API key's requests update. */
  request(apiKey: number): RequestMetric {
    let metric = this.requestMetrics.get(apiKey);
    if (metric === undefined) {
      const labels = { request: apiNames.get(apiKey) ?? String(apiKey) };
      metric = new ApiRequestMetric(
        labels.request,
        this.requests.cell(labels),
        this.requestTime.cell(labels),
        this.requestQueueTime.cell(labels),
        this.localTime.cell(labels),
        this.responseSendTime.cell(labels),
        this.errors,
      );
      this.requestMetrics.set(apiKey, metric);
    }
    return metric;
  }

  /** The children of one topic. */
  topic(name: string): TopicMetric {
    let metric = this.topicMetrics.get(name);
    if (metric === undefined) {
      const labels = { topic: name };
      const bytesIn = this.bytesIn.cell(labels);
      const messagesIn = this.messagesIn.cell(labels);
      const bytesOut = this.bytesOut.cell(labels);
      const duplicates = this.duplicates.cell(labels);
      this.topicCells.set(name, { bytesIn, messagesIn, bytesOut, duplicates });
      metric = {
        appended(bytes, records) {
          bytesIn.value += bytes;
          messagesIn.value += records;
        },
        duplicate() {
          duplicates.value++;
        },
        read(bytes) {
          bytesOut.value += bytes;
        },
      };
      this.topicMetrics.set(name, metric);
    }
    return metric;
  }

  /** A deleted topic's counters are dropped (Kafka's `BrokerTopicStats.removeMetrics`); a new topic of that name starts at 0. */
  forgetTopic(name: string): void {
    const cells = this.topicCells.get(name);
    if (cells === undefined) return;
    this.topicCells.delete(name);
    this.topicMetrics.delete(name);
    this.bytesIn.remove(cells.bytesIn);
    this.messagesIn.remove(cells.messagesIn);
    this.bytesOut.remove(cells.bytesOut);
    this.duplicates.remove(cells.duplicates);
  }

  /** One partition-log fsync took `timeMs`. */
  flushed(timeMs: number): void {
    this.flushTime.observe(timeMs);
  }

  /** The coordinator completed a transaction that had been open for `durationMs`. */
  transactionCompleted(commit: boolean, durationMs: number): void {
    const result = commit ? 'commit' : 'abort';
    this.transactionsCompleted.labels({ result }).inc();
    if (durationMs >= 0) (result === 'commit' ? this.committedTime : this.abortedTime).observe(durationMs);
  }

  /**
   * A group started a rebalance: a classic group prepared one, or a consumer group (KIP-848) bumped its group
   * epoch (Kafka's `GroupCoordinatorMetrics`: `group-rebalance-count` and `consumer-group-rebalance-count`).
   */
  rebalanceStarted(protocol: 'classic' | 'consumer'): void {
    if (protocol === 'classic') this.rebalances.labels({ protocol }).inc();
    else this.consumerRebalances.inc();
  }

  /** Totals the console shows. */
  async counters(): Promise<{
    requests: number;
    bytesIn: number;
    messagesIn: number;
    duplicateBatches: number;
    transactionsCommitted: number;
    transactionsAborted: number;
  }> {
    const sum = async (counter: Counter<string>, labels: Record<string, string>): Promise<number> => {
      let total = 0;
      for (const value of (await counter.get()).values) {
        if (Object.entries(labels).every(([name, wanted]) => value.labels[name] === wanted)) total += value.value;
      }
      return total;
    };
    return {
      requests: this.requests.total(),
      bytesIn: this.bytesIn.total(),
      messagesIn: this.messagesIn.total(),
      duplicateBatches: this.duplicates.total(),
      transactionsCommitted: await sum(this.transactionsCompleted, { result: 'commit' }),
      transactionsAborted: await sum(this.transactionsCompleted, { result: 'abort' }),
    };
  }

  /** The Prometheus text exposition of every metric of this broker. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Fields that carry an error code Kafka's `errorCounts` counts. */
const ERROR_CODE_FIELDS: ReadonlySet<string> = new Set(['errorCode', 'partitionErrorCode']);

/**
 * Where the error codes of one API's answers sit, learned from the answers themselves: a generated response struct
 * has one shape per API, so each level (top, topic, partition, ...) is enumerated once and later answers read only
 * the error-code fields and the fields leading to more of them. A field seen null is learned when first non-null;
 * a level with no error code below it, or holding bytes (records), is skipped from then on.
 */
class ErrorCodePlan {
  learned = false;
  /** Nothing to count at or below this level. */
  barren = false;
  readonly errorKeys: string[] = [];
  readonly children: { key: string; plan: ErrorCodePlan }[] = [];

  learn(fields: Readonly<Record<string, unknown>>): void {
    for (const key in fields) {
      const field = fields[key];
      if (typeof field === 'number') {
        if (ERROR_CODE_FIELDS.has(key)) this.errorKeys.push(key);
      } else if (field === null || (typeof field === 'object' && !ArrayBuffer.isView(field))) {
        this.children.push({ key, plan: new ErrorCodePlan() });
      }
    }
    this.learned = true;
    this.barren = this.errorKeys.length === 0 && this.children.length === 0;
  }
}

/**
 * One API key's request instruments. `answered` counts the `errorCode`/`partitionErrorCode` fields of an answer
 * at every level (Kafka's per-response `errorCounts`: top level, per topic, per partition, per resource) by
 * walking the answer along an `ErrorCodePlan`; record bytes are never looked into. Error cells are resolved once
 * per code.
 */
class ApiRequestMetric implements RequestMetric {
  /** By error code + 1 (codes run from -1, UNKNOWN_SERVER_ERROR, upwards). */
  private readonly errorCells: (CountCell | undefined)[] = [];
  private readonly plan = new ErrorCodePlan();

  constructor(
    private readonly request: string,
    private readonly count: CountCell,
    private readonly total: HistogramCellOf,
    private readonly queue: HistogramCellOf,
    private readonly local: HistogramCellOf,
    private readonly send: HistogramCellOf,
    private readonly errors: PlainCounter<'request' | 'error'>,
  ) {}

  completed(receivedAtMs: number, startedAtMs: number, readyAtMs: number, sentAtMs: number): void {
    this.count.value++;
    this.total.observe(sentAtMs - receivedAtMs);
    this.queue.observe(startedAtMs - receivedAtMs);
    this.local.observe(readyAtMs - startedAtMs);
    this.send.observe(sentAtMs - readyAtMs);
  }

  answered(body: object): void {
    this.walk(body, this.plan);
  }

  /** `value` is a struct, or the bytes a nullable field held (only ever met while its plan is unlearned). */
  private walk(value: object, plan: ErrorCodePlan): void {
    const fields = value as Readonly<Record<string, unknown>>;
    if (!plan.learned) {
      if (ArrayBuffer.isView(value)) {
        plan.learned = true;
        plan.barren = true;
        return;
      }
      plan.learn(fields);
    }
    const errorKeys = plan.errorKeys;
    for (let i = 0; i < errorKeys.length; i++) {
      const code = fields[errorKeys[i]];
      if (typeof code === 'number') this.error(code);
    }
    const children = plan.children;
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (child.plan.barren) {
        // Learned to hold no error code: never looked at again, and a level left with nothing is barren too.
        children.splice(i--, 1);
        if (children.length === 0 && errorKeys.length === 0) plan.barren = true;
        continue;
      }
      const field = fields[child.key];
      if (typeof field !== 'object' || field === null) continue;
      if (Array.isArray(field)) {
        for (let j = 0; j < field.length; j++) {
          const item: unknown = field[j];
          if (typeof item === 'object' && item !== null) this.walk(item, child.plan);
        }
      } else {
        this.walk(field, child.plan);
      }
    }
  }

  private error(code: number): void {
    // A code off the table (a bug, never a client's doing) is counted under its number without growing the array.
    const index = code >= -1 && code < 1024 ? code + 1 : 1024;
    let cell = this.errorCells[index];
    if (cell === undefined) {
      cell = this.errors.cell({ request: this.request, error: index === 1024 ? 'UNKNOWN_ERROR_CODE' : errorName(code) });
      this.errorCells[index] = cell;
    }
    cell.value++;
  }
}

/** Gauges and counters whose values are read from the broker's state when Prometheus scrapes. */
function registerStateCollectors(registers: Registry[], sources: BrokerMetricSources): void {
  const { logs, transactions, groups } = sources;
  const partitionGauge = (name: string, help: string, read: (log: NonNullable<ReturnType<LogManager['getLog']>>) => bigint | number) =>
    scrapedGaugeSeries(registers, name, help, ['topic', 'partition'], (gauge) => {
      for (const topic of logs.listTopics()) {
        for (let partition = 0; partition < topic.partitions; partition++) {
          const log = logs.getLog(topic.name, partition);
          if (log === undefined || log.offline !== null) continue;
          gauge.labels({ topic: topic.name, partition: String(partition) }).set(Number(read(log)));
        }
      }
    });
  partitionGauge('kafka_log_log_logendoffset', 'Log end offset (kafka.log:type=Log,name=LogEndOffset).', (log) => log.logEndOffset);
  partitionGauge('kafka_log_log_logstartoffset', 'Log start offset (kafka.log:type=Log,name=LogStartOffset).', (log) => log.logStartOffset);
  partitionGauge('kafka_log_log_size', 'Log size in bytes (kafka.log:type=Log,name=Size).', (log) => log.size);
  partitionGauge('kafka_log_log_numlogsegments', 'Segments of the log (kafka.log:type=Log,name=NumLogSegments).', (log) => log.segmentCount);
  partitionGauge('seqlog_log_highwatermark', 'High watermark: offsets below it are durable and readable (no Kafka JMX metric).', (log) => log.highWatermark);
  partitionGauge('seqlog_log_laststableoffset', 'Last stable offset: read_committed consumers read below it (no Kafka JMX metric).', (log) => log.lastStableOffset);

  scrapedGauge(registers, 'kafka_server_replicamanager_produceridcount', 'Producer ids tracked over every partition (kafka.server:type=ReplicaManager,name=ProducerIdCount).', () => logs.producerStateMetrics().producerIdCount);
  scrapedCounter(registers, 'seqlog_producer_ids_expired_total', 'Producer ids removed after producer.id.expiration.ms without a write (KIP-854).', () => logs.producerStateMetrics().expiredProducerIds);
  scrapedCounter(registers, 'seqlog_producer_ids_evicted_total', 'Producer ids forgotten because a partition reached its producer id bound.', () => logs.producerStateMetrics().evictedProducerIds);
  scrapedGauge(
    registers,
    'kafka_server_replicamanager_partitionswithlatetransactionscount',
    'Partitions whose oldest open transaction is older than transaction.max.timeout.ms + 5 min (KIP-664).',
    () => logs.partitionsWithLateTransactions(),
  );
  scrapedGauge(registers, 'kafka_server_socket_server_metrics_connection_count', 'Open client connections (kafka.server:type=socket-server-metrics,name=connection-count).', () => sources.connectionCount());
  scrapedGauge(registers, 'seqlog_server_queued_request_bytes', 'Bytes held by connections: requests read and not answered, answers not yet written (queued.max.request.bytes).', () => sources.connectionMemory.used);
  scrapedGauge(registers, 'kafka_server_fetchsessioncache_numincrementalfetchsessions', 'Incremental fetch sessions (kafka.server:type=FetchSessionCache,name=NumIncrementalFetchSessions).', () => sources.fetchSessions.size);
  scrapedGauge(
    registers,
    'kafka_server_fetchsessioncache_numincrementalfetchpartitionscached',
    'Partitions over every fetch session (kafka.server:type=FetchSessionCache,name=NumIncrementalFetchPartitionsCached).',
    () => sources.fetchSessions.totalPartitions,
  );
  scrapedCounter(
    registers,
    'kafka_server_fetchsessioncache_incrementalfetchsessionevictions_total',
    'Fetch sessions evicted (kafka.server:type=FetchSessionCache,name=IncrementalFetchSessionEvictionsPerSec).',
    () => sources.fetchSessions.evictions,
  );

  registerCleanerCollectors(registers, sources);

  scrapedGaugeSeries(registers, 'seqlog_transactions', 'Transactional ids known to the coordinator, by transaction state (Ongoing = open).', ['state'], (gauge) => {
    for (const state of Object.values(TransactionState)) {
      if (state !== TransactionState.Dead) gauge.labels({ state: transactionStateName(state) }).set(0);
    }
    for (const listed of transactions.list([], [], -1n).transactionStates) gauge.labels({ state: listed.transactionState }).inc();
  });

  scrapedGaugeSeries(registers, 'kafka_server_group_coordinator_metrics_group_count', 'Groups, by protocol (kafka.server:type=group-coordinator-metrics,name=group-count).', ['protocol'], (gauge) => {
    gauge.labels({ protocol: 'classic' }).set(0);
    gauge.labels({ protocol: 'consumer' }).set(0);
    for (const group of groups.listGroups([], [])) gauge.labels({ protocol: group.groupType }).inc();
  });

  scrapedGaugeSeries(
    registers,
    'kafka_consumergroup_lag',
    "A group's lag on a partition: high watermark minus committed offset (the name kafka_exporter gives it).",
    ['consumergroup', 'topic', 'partition'],
    async (gauge) => {
      for (const row of await consumerGroupLag(logs, groups)) {
        gauge.labels({ consumergroup: row.groupId, topic: row.topic, partition: String(row.partition) }).set(Number(row.lag));
      }
    },
  );
}

/**
 * The log cleaner's statistics: Kafka's `kafka.log:type=LogCleaner` / `LogCleanerManager` gauges (computed from
 * the last run of each partition), and each partition's last run under seqlog names.
 */
function registerCleanerCollectors(registers: Registry[], sources: BrokerMetricSources): void {
  const latest = (): CleanerRun | null => {
    let found: CleanerRun | null = null;
    for (const run of sources.cleanerRuns().values()) if (found === null || run.finishedAtMs > found.finishedAtMs) found = run;
    return found;
  };
  const scalar = (name: string, help: string, read: () => number) => scrapedGauge(registers, name, help, read);
  scalar('kafka_log_logcleaner_max_clean_time_secs', 'Longest last cleaning over the partitions, s (kafka.log:type=LogCleaner,name=max-clean-time-secs).', () => {
    let max = 0;
    for (const run of sources.cleanerRuns().values()) max = Math.max(max, run.elapsedMs / 1000);
    return max;
  });
  scalar('kafka_log_logcleaner_cleaner_recopy_percent', 'Bytes written over bytes read by the latest cleaning, % (kafka.log:type=LogCleaner,name=cleaner-recopy-percent).', () => {
    const run = latest();
    return run === null || run.bytesRead === 0 ? 0 : (100 * run.bytesWritten) / run.bytesRead;
  });
  scalar('kafka_log_logcleanermanager_max_dirty_percent', 'Highest dirty ratio that got a log cleaned, % (kafka.log:type=LogCleanerManager,name=max-dirty-percent).', () => {
    let max = 0;
    for (const run of sources.cleanerRuns().values()) max = Math.max(max, run.dirtyRatio * 100);
    return max;
  });
  scalar('kafka_log_logcleaner_max_buffer_utilization_percent', 'How full the offset map got in the latest cleaning, % (kafka.log:type=LogCleaner,name=max-buffer-utilization-percent).', () => sources.cleanerStats().maxBufferUtilizationPercent);
  scalar('kafka_log_logcleaner_max_compaction_delay_secs', 'How far past max.compaction.lag.ms a log was at the latest selection, s (kafka.log:type=LogCleaner,name=max-compaction-delay-secs).', () => sources.cleanerStats().maxCompactionDelaySecs);
  scalar('kafka_log_logcleaner_deadthreadcount', 'Cleaner loops stopped: 0 while the cleaner runs (kafka.log:type=LogCleaner,name=DeadThreadCount).', () => sources.cleanerStats().deadThreadCount);
  scalar('kafka_log_logcleanermanager_time_since_last_run_ms', "Time since the cleaner's last pass, ms (kafka.log:type=LogCleanerManager,name=time-since-last-run-ms).", () => sources.cleanerStats().timeSinceLastRunMs);
  scalar('kafka_log_logcleanermanager_uncleanable_partitions_count', 'Partitions whose last cleaning failed (kafka.log:type=LogCleanerManager,name=uncleanable-partitions-count).', () => sources.cleanerStats().uncleanablePartitionsCount);
  const perPartition = (name: string, help: string, read: (run: CleanerRun) => number) =>
    scrapedGaugeSeries(registers, name, help, ['topic', 'partition'], (gauge) => {
      for (const run of sources.cleanerRuns().values()) gauge.labels({ topic: run.topic, partition: String(run.partition) }).set(read(run));
    });
  perPartition('seqlog_log_cleaner_last_run_bytes_read', "Bytes the partition's last cleaning read.", (run) => run.bytesRead);
  perPartition('seqlog_log_cleaner_last_run_bytes_written', "Bytes the partition's last cleaning wrote.", (run) => run.bytesWritten);
  perPartition('seqlog_log_cleaner_last_run_duration_ms', "Duration of the partition's last cleaning, ms.", (run) => run.elapsedMs);
  perPartition('seqlog_log_cleaner_last_run_dirty_ratio', "Dirty ratio that got the partition's log picked for its last cleaning.", (run) => run.dirtyRatio);
  perPartition('seqlog_log_cleaner_last_run_timestamp_seconds', "When the partition's last cleaning finished (Unix time, s).", (run) => run.finishedAtMs / 1000);
}

export interface GroupPartitionLag {
  groupId: string;
  topic: string;
  partition: number;
  committedOffset: bigint;
  highWatermark: bigint;
  lag: bigint;
}

/** Every group's committed offset and lag per partition (what kafka-consumer-groups --describe shows). */
export async function consumerGroupLag(logs: LogManager, groups: GroupCoordinator): Promise<GroupPartitionLag[]> {
  const listed = groups.listGroups([], []);
  if (listed.length === 0) return [];
  const fetched = await groups.fetchOffsets(
    listed.map((group) => ({ groupId: group.groupId, topics: null })),
    false,
  );
  const rows: GroupPartitionLag[] = [];
  for (const group of fetched) {
    for (const topic of group.topics) {
      for (const partition of topic.partitions) {
        if (partition.committedOffset < 0n) continue;
        const log = logs.getLog(topic.name, partition.partitionIndex);
        if (log === undefined) continue;
        const highWatermark = log.highWatermark;
        const lag = highWatermark > partition.committedOffset ? highWatermark - partition.committedOffset : 0n;
        rows.push({ groupId: group.groupId, topic: topic.name, partition: partition.partitionIndex, committedOffset: partition.committedOffset, highWatermark, lag });
      }
    }
  }
  return rows;
}
