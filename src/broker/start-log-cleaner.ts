// Wires the background log cleaner to the broker: the logs come from the log manager, what the cleaner must
// know of producers (Kafka's `lastRecordsOfActiveProducers`, the first unstable offset) from each partition
// log's producer state, through the cleaner's narrow `ProducerStateView`.
import type { BrokerConfig } from './config.ts';
import { LogCleaner } from './log/cleaner/log-cleaner.ts';
import type { CleanablePartition, ProducerStateView } from './log/cleaner/log-cleaner.ts';
import type { LogFileSystem } from './log/log-file-system.ts';
import type { LogManager } from './log/log-manager.ts';
import type { LogLogger } from './log/partition-log.ts';

const producerStateView: ProducerStateView = {
  activeProducers(log) {
    const producers = new Map<bigint, { lastDataOffset: bigint | null; producerEpoch: number }>();
    for (const [producerId, entry] of log.producerState.activeProducers()) {
      producers.set(producerId, { lastDataOffset: entry.lastDataOffset >= 0n ? entry.lastDataOffset : null, producerEpoch: entry.producerEpoch });
    }
    return producers;
  },
  firstUnstableOffset: (log) => log.producerState.firstUnstableOffset(),
};

function* compactedPartitions(logs: LogManager): Generator<CleanablePartition> {
  for (const topic of logs.listTopics()) {
    for (let partition = 0; partition < topic.partitions; partition++) {
      const log = logs.getLog(topic.name, partition);
      if (log !== undefined && log.logConfig.cleanupPolicy.includes('compact')) yield { topic: topic.name, partition, log };
    }
  }
}

/** Starts the cleaner over every compacted partition of `logs`. */
export function startLogCleaner(
  logs: LogManager,
  config: Readonly<BrokerConfig>,
  clock: () => number,
  logger: LogLogger,
  fs: LogFileSystem | undefined,
): LogCleaner {
  const cleaner = new LogCleaner({
    logs: () => compactedPartitions(logs),
    dedupeBufferSize: config.logCleanerDedupeBufferSize,
    backoffMs: config.logCleanerBackoffMs,
    ioMaxBytesPerSecond: config.logCleanerIoMaxBytesPerSecond,
    producerState: producerStateView,
    clock,
    logger,
    ...(fs === undefined ? {} : { fs }),
  });
  cleaner.start();
  return cleaner;
}
