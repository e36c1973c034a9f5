// The client's Prometheus metrics through prom-client, one `Registry` per producer or consumer (never the global
// one, so clients and embedded brokers in one process never collide). Every value is read from the client's plain
// counters when the registry is collected: the send and fetch paths only bump numbers and pay nothing for
// Prometheus. Names are the Java client's JMX metrics as the Prometheus JMX exporter maps them
// (`kafka.producer:type=producer-metrics,client-id=c` record-send-total ->
// `kafka_producer_producer_metrics_record_send_total{client_id="c"}`); seqlog's own have a `seqlog_` prefix.
// docs/metrics.md lists them with their Java counterparts. Merge several with prom-client's `Registry.merge`.
import { Registry } from 'prom-client';
import { scrapedCounter, scrapedCounterSeries, scrapedGauge, scrapedGaugeSeries, type MetricLabels } from '../../internal/scraped-metrics.ts';

type Read<T> = () => T;

function counter(registry: Registry, name: string, help: string, labels: MetricLabels, read: Read<number>): void {
  scrapedCounter([registry], name, help, read, labels);
}

function gauge(registry: Registry, name: string, help: string, labels: MetricLabels, read: Read<number>): void {
  scrapedGauge([registry], name, help, read, labels);
}

/** What the producer's registry reads (its `metrics()` snapshot plus transaction outcomes). */
export interface ProducerMetricValues {
  readonly recordsSent: number;
  readonly bytesSent: number;
  readonly batchesSent: number;
  readonly recordErrors: number;
  readonly recordRetries: number;
  readonly requestsSent: number;
  readonly requestsInFlight: number;
  readonly batchSizeAvg: number;
  readonly batchSizeMax: number;
  readonly recordQueueTimeAvgMs: number;
  readonly recordQueueTimeMaxMs: number;
  readonly requestLatencyAvgMs: number;
  readonly requestLatencyMaxMs: number;
  readonly epochBumps: number;
  readonly bufferedBytes: number;
  readonly transactionsCommitted: number;
  readonly transactionsAborted: number;
}

export function producerMetricRegistry(clientId: string, read: Read<ProducerMetricValues>): Registry {
  const registry = new Registry();
  const labels = { client_id: clientId };
  const p = 'kafka_producer_producer_metrics_';
  counter(registry, `${p}record_send_total`, 'Records acknowledged by the broker (record-send-total).', labels, () => read().recordsSent);
  counter(registry, `${p}record_error_total`, 'Records whose send failed (record-error-total).', labels, () => read().recordErrors);
  counter(registry, `${p}record_retry_total`, 'Batches sent again after a retriable error (record-retry-total counts records; seqlog counts batches).', labels, () => read().recordRetries);
  counter(registry, `${p}request_total`, 'Produce requests sent (request-total).', labels, () => read().requestsSent);
  gauge(registry, `${p}requests_in_flight`, 'Produce requests awaiting an answer (requests-in-flight).', labels, () => read().requestsInFlight);
  gauge(registry, `${p}batch_size_avg`, 'Average encoded batch size in bytes (batch-size-avg, since start).', labels, () => read().batchSizeAvg);
  gauge(registry, `${p}batch_size_max`, 'Largest encoded batch in bytes (batch-size-max, since start).', labels, () => read().batchSizeMax);
  gauge(registry, `${p}record_queue_time_avg`, 'Average ms a batch waited in the accumulator (record-queue-time-avg).', labels, () => read().recordQueueTimeAvgMs);
  gauge(registry, `${p}record_queue_time_max`, 'Longest ms a batch waited in the accumulator (record-queue-time-max).', labels, () => read().recordQueueTimeMaxMs);
  gauge(registry, `${p}request_latency_avg`, 'Average Produce request latency in ms (request-latency-avg).', labels, () => read().requestLatencyAvgMs);
  gauge(registry, `${p}request_latency_max`, 'Largest Produce request latency in ms (request-latency-max).', labels, () => read().requestLatencyMaxMs);
  gauge(registry, `${p}buffer_used_bytes`, 'Bytes of buffer.memory held by records not yet acknowledged (buffer-total-bytes minus buffer-available-bytes).', labels, () => read().bufferedBytes);
  counter(registry, 'seqlog_producer_batches_sent_total', 'Record batches sent (first attempts).', labels, () => read().batchesSent);
  counter(registry, 'seqlog_producer_bytes_sent_total', 'Encoded batch bytes acknowledged by the broker.', labels, () => read().bytesSent);
  counter(registry, 'seqlog_producer_epoch_bumps_total', 'Producer epoch bumps after an unresolved sequence (KIP-360).', labels, () => read().epochBumps);
  scrapedCounterSeries([registry], 'seqlog_producer_transactions_total', 'Transactions this producer ended, by result (the Java producer only times them: txn-commit-time-ns-total).', ['client_id', 'result'], (series) => {
    const values = read();
    series.labels({ ...labels, result: 'commit' }).inc(values.transactionsCommitted);
    series.labels({ ...labels, result: 'abort' }).inc(values.transactionsAborted);
  });
  return registry;
}

/** What the consumer's registry reads. */
export interface ConsumerMetricValues {
  readonly recordsDelivered: number;
  readonly abortedBatchesSkipped: number;
  readonly lag: readonly { topic: string; partition: number; lag: bigint | null }[];
}

export function consumerMetricRegistry(clientId: string, read: Read<ConsumerMetricValues>): Registry {
  const registry = new Registry();
  const labels = { client_id: clientId };
  const f = 'kafka_consumer_consumer_fetch_manager_metrics_';
  counter(registry, `${f}records_consumed_total`, 'Records handed to the application (records-consumed-total).', labels, () => read().recordsDelivered);
  counter(registry, 'seqlog_consumer_aborted_batches_skipped_total', 'Batches of aborted transactions a read_committed consumer skipped.', labels, () => read().abortedBatchesSkipped);
  scrapedGaugeSeries([registry], `${f}records_lag`, 'Records between the position and the high watermark (LSO with read_committed), per partition (records-lag).', ['client_id', 'topic', 'partition'], (series) => {
    for (const row of read().lag) {
      if (row.lag !== null) series.labels({ ...labels, topic: row.topic, partition: String(row.partition) }).set(Number(row.lag));
    }
  });
  gauge(registry, `${f}records_lag_max`, 'The largest lag over the assigned partitions (records-lag-max).', labels, () => {
    let max = 0n;
    for (const row of read().lag) if (row.lag !== null && row.lag > max) max = row.lag;
    return Number(max);
  });
  return registry;
}
