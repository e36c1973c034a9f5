// The brokers a transaction scenario runs against. Each target starts its broker and gives a bootstrap address;
// the scenario does not know which broker it talks to. Apache Kafka 4.4 runs twice: formatted with
// transaction.version=2 (its default: KIP-890 part 2 finalized) and with transaction.version=1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../../src/broker/index.ts';
import { startReferenceKafka } from '../../reference/kafka.ts';

export interface RunningBroker {
  readonly bootstrap: string;
  stop(): Promise<void>;
}

export interface BrokerTarget {
  readonly name: string;
  /** The `transaction.version` feature level the broker finalizes. */
  readonly transactionVersion: number;
  start(): Promise<RunningBroker>;
}

function referenceKafka(transactionVersion: number): BrokerTarget {
  return {
    name: `Apache Kafka 4.4 (transaction.version=${transactionVersion})`,
    transactionVersion,
    async start() {
      // Timed-out transactions are looked for every second instead of every 10 s, so the timeout scenario is short.
      const kafka = await startReferenceKafka({
        brokers: 1,
        features: { 'transaction.version': transactionVersion },
        config: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '1000' },
      });
      return { bootstrap: kafka.bootstrap, stop: () => kafka.stop() };
    },
  };
}

export const KAFKA_TV2 = referenceKafka(2);
export const KAFKA_TV1 = referenceKafka(1);

/**
 * seqlog's broker in this process, on port 0 with a temporary data dir. `transactionVersion` is the level its
 * ApiVersions finalizes (the scenarios check it): 2, KIP-890 part 2, as a new Kafka 4.x cluster.
 */
export const SEQLOG: BrokerTarget = {
  name: 'seqlog',
  transactionVersion: 2,
  async start() {
    const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-txn-'));
    // Timed-out transactions looked for every second, as on the Kafka targets.
    const broker = await startBroker({ dataDir, port: 0, transactionAbortTimedOutTransactionCleanupIntervalMs: 1000 });
    return {
      bootstrap: broker.bootstrap,
      async stop() {
        await broker.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

/** The targets every transaction scenario runs against: the same client scenarios, the same expected outcomes. */
export const TRANSACTION_TARGETS: readonly BrokerTarget[] = [KAFKA_TV2, KAFKA_TV1, SEQLOG];
