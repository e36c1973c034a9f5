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

  transactionsCommitted = 0;
  transactionsAborted = 0;

  /** Batches drained for their first attempt. */
  get batchesSent(): number {
    return this.batches;
  }

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
