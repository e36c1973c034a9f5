// The broker's per-request metrics cost: the request-time histograms (TotalTimeMs and Kafka's queue/local/send
// split) and the ErrorsPerSec walk over an answer's error codes (`ApiRequestMetric.answered`), for a one-partition
// Produce answer and a Fetch answer of 10 topics x 10 partitions (ns/item = per partition).
import { BrokerMetricRegistry, type BrokerMetricSources } from '../src/broker/metrics/broker-metric-registry.ts';
import type { BenchCase, Benchmark } from './harness.ts';

function produceAnswer(): object {
  const partition = { index: 0, errorCode: 0, baseOffset: 5n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } };
  return { responses: [{ name: 'topic', partitionResponses: [partition] }], throttleTimeMs: 0, nodeEndpoints: [] };
}

function fetchAnswer(records: Buffer): object {
  const partitions = (): object[] =>
    Array.from({ length: 10 }, (_, partitionIndex) => ({
      partitionIndex,
      errorCode: 0,
      highWatermark: 100n,
      lastStableOffset: 100n,
      logStartOffset: 0n,
      divergingEpoch: { epoch: -1, endOffset: -1n },
      currentLeader: { leaderId: -1, leaderEpoch: -1 },
      snapshotId: { endOffset: -1n, epoch: -1 },
      abortedTransactions: null,
      preferredReadReplica: -1,
      records,
    }));
  return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: Array.from({ length: 10 }, (_, t) => ({ topic: `topic-${t}`, topicId: Buffer.alloc(16), partitions: partitions() })), nodeEndpoints: [] };
}

export const requestMetricsBench: Benchmark = {
  name: 'request-metrics',
  description: 'per-request broker metrics: four request-time histograms, error codes counted from an answer',
  build() {
    // The scrape-time sources are never read here: nothing is scraped.
    const registry = new BrokerMetricRegistry({} as BrokerMetricSources);
    const produce = registry.request(0);
    const fetch = registry.request(1);
    const produceAnswers = Array.from({ length: 256 }, produceAnswer);
    const records = Buffer.alloc(1024);
    const fetchAnswers = Array.from({ length: 16 }, () => fetchAnswer(records));
    let i = 0;
    const cases: BenchCase[] = [
      { label: 'completed (count + 4 histograms)', run: () => produce.completed(0, 0.01, 0.4, 0.45) },
      { label: 'error codes, Produce 1 partition', run: () => produce.answered(produceAnswers[i++ & 255]) },
      { label: 'error codes, Fetch 10 x 10 partitions', itemsPerOp: 100, run: () => fetch.answered(fetchAnswers[i++ & 15]) },
    ];
    return cases;
  },
};
