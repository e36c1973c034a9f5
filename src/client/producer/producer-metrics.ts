// Producer metrics, named after the Java producer's (`producer-metrics` group): record-send-rate,
// byte-rate, record-retry-total, requests-in-flight, batch-size-avg, record-queue-time-avg/max,
// request-latency-avg/max. Rates are averages since the producer started.

export interface ProducerMetricsSnapshot {
  readonly uptimeMs: number;
  readonly recordsSent: number;
  readonly bytesSent: number;
  readonly recordSendRate: number;
  readonly byteRate: number;
  readonly recordErrors: number;
  readonly recordRetries: number;
  readonly requestsSent: number;
  readonly requestsInFlight: number;
  readonly batchSizeAvg: number;
  readonly batchSizeMax: number;
  readonly recordsPerBatchAvg: number;
  readonly recordQueueTimeAvgMs: number;
  readonly recordQueueTimeMaxMs: number;
  readonly requestLatencyAvgMs: number;
  readonly requestLatencyMaxMs: number;
  readonly epochBumps: number;
  readonly bufferedBytes: number;
}

export class ProducerMetrics {
  private readonly startMs = Date.now();
  recordsSent = 0;
  bytesSent = 0;
  recordErrors = 0;
  recordRetries = 0;
  requestsSent = 0;
  requestsInFlight = 0;
  private batches = 0;
  private batchBytes = 0;
  private batchBytesMax = 0;
  private batchRecords = 0;
  private queueTimeSum = 0;
  private queueTimeMax = 0;
  private latencySum = 0;
  private latencyCount = 0;
  private latencyMax = 0;

  recordBatchDrained(bytes: number, records: number, queueTimeMs: number): void {
    this.batches++;
    this.batchBytes += bytes;
    this.batchRecords += records;
    if (bytes > this.batchBytesMax) this.batchBytesMax = bytes;
    this.queueTimeSum += queueTimeMs;
    if (queueTimeMs > this.queueTimeMax) this.queueTimeMax = queueTimeMs;
  }

  recordRequestLatency(ms: number): void {
    this.latencySum += ms;
    this.latencyCount++;
    if (ms > this.latencyMax) this.latencyMax = ms;
  }

  snapshot(epochBumps: number, bufferedBytes: number): ProducerMetricsSnapshot {
    const uptimeMs = Math.max(1, Date.now() - this.startMs);
    return {
      uptimeMs,
      recordsSent: this.recordsSent,
      bytesSent: this.bytesSent,
      recordSendRate: (this.recordsSent * 1000) / uptimeMs,
      byteRate: (this.bytesSent * 1000) / uptimeMs,
      recordErrors: this.recordErrors,
      recordRetries: this.recordRetries,
      requestsSent: this.requestsSent,
      requestsInFlight: this.requestsInFlight,
      batchSizeAvg: this.batches === 0 ? 0 : this.batchBytes / this.batches,
      batchSizeMax: this.batchBytesMax,
      recordsPerBatchAvg: this.batches === 0 ? 0 : this.batchRecords / this.batches,
      recordQueueTimeAvgMs: this.batches === 0 ? 0 : this.queueTimeSum / this.batches,
      recordQueueTimeMaxMs: this.queueTimeMax,
      requestLatencyAvgMs: this.latencyCount === 0 ? 0 : this.latencySum / this.latencyCount,
      requestLatencyMaxMs: this.latencyMax,
      epochBumps,
      bufferedBytes,
    };
  }
}

const PROMETHEUS_ROWS: readonly [keyof ProducerMetricsSnapshot, string, 'counter' | 'gauge', string][] = [
  ['recordsSent', 'seqlog_producer_records_sent_total', 'counter', 'Records acknowledged by the broker.'],
  ['bytesSent', 'seqlog_producer_bytes_sent_total', 'counter', 'Encoded batch bytes acknowledged by the broker.'],
  ['recordSendRate', 'seqlog_producer_record_send_rate', 'gauge', 'Records per second since start.'],
  ['byteRate', 'seqlog_producer_byte_rate', 'gauge', 'Bytes per second since start.'],
  ['recordErrors', 'seqlog_producer_record_errors_total', 'counter', 'Records whose send failed.'],
  ['recordRetries', 'seqlog_producer_batch_retries_total', 'counter', 'Batches re-enqueued for a retry.'],
  ['requestsSent', 'seqlog_producer_requests_total', 'counter', 'Produce requests sent.'],
  ['requestsInFlight', 'seqlog_producer_requests_in_flight', 'gauge', 'Produce requests awaiting a response.'],
  ['batchSizeAvg', 'seqlog_producer_batch_size_avg_bytes', 'gauge', 'Average encoded batch size.'],
  ['batchSizeMax', 'seqlog_producer_batch_size_max_bytes', 'gauge', 'Largest encoded batch.'],
  ['recordQueueTimeAvgMs', 'seqlog_producer_record_queue_time_avg_ms', 'gauge', 'Average time a batch waited in the accumulator.'],
  ['recordQueueTimeMaxMs', 'seqlog_producer_record_queue_time_max_ms', 'gauge', 'Longest time a batch waited in the accumulator.'],
  ['requestLatencyAvgMs', 'seqlog_producer_request_latency_avg_ms', 'gauge', 'Average Produce request latency.'],
  ['requestLatencyMaxMs', 'seqlog_producer_request_latency_max_ms', 'gauge', 'Largest Produce request latency.'],
  ['epochBumps', 'seqlog_producer_epoch_bumps_total', 'counter', 'Local producer epoch bumps (KIP-360).'],
  ['bufferedBytes', 'seqlog_producer_buffered_bytes', 'gauge', 'Bytes held in buffer.memory.'],
];

/** Prometheus text exposition format (version 0.0.4). */
export function formatPrometheus(snapshot: ProducerMetricsSnapshot, clientId: string): string {
  const label = `{client_id="${clientId.replace(/["\\\n]/g, '_')}"}`;
  const lines: string[] = [];
  for (const [field, name, type, help] of PROMETHEUS_ROWS) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${label} ${snapshot[field]}`);
  }
  return lines.join('\n') + '\n';
}
