// The two brokers of a differential test file: one Apache Kafka node (started once per file: it takes 10-20 s)
// and one seqlog broker on a data directory this module owns, so a restart can reopen the same data on the
// same port. `stop()` stops both and removes the seqlog data; the reference's own stop() removes Kafka's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/broker/index.ts';
import type { RunningBroker } from '../../src/broker/index.ts';
import { startReferenceKafka } from '../reference/kafka.ts';
import type { ReferenceKafka } from '../reference/kafka.ts';
import type { DifferentialTarget } from './differential.ts';

export interface DifferentialTargets {
  kafka: DifferentialTarget;
  seqlog: DifferentialTarget;
  reference: ReferenceKafka;
  stop(): Promise<void>;
}

export interface DifferentialTargetsOptions {
  /**
   * When true, the Kafka target restarts for real on a restart step (SIGTERM, so it shuts down cleanly and
   * writes its producer-state snapshots, then the same node is started again: ~20 s). When false, a restart
   * step is a no-op on Kafka, which a scenario may use only where §2.5 makes the answers equivalent.
   */
  restartKafka?: boolean;
}

/** Starts the reference Kafka (a missing installation throws: differential tests never skip) and seqlog. */
export async function startDifferentialTargets(options: DifferentialTargetsOptions = {}): Promise<DifferentialTargets> {
  const reference = await startReferenceKafka({ brokers: 1 });
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-differential-'));
  let broker: RunningBroker;
  try {
    broker = await startBroker({ dataDir });
  } catch (error) {
    await reference.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const node = reference.brokers[0];
  const kafka: DifferentialTarget = {
    name: 'kafka',
    address: () => ({ host: node.host, port: node.port }),
    ...(options.restartKafka
      ? {
          async restart() {
            await reference.killBroker(node.id, 'SIGTERM');
            await reference.restartBroker(node.id);
          },
        }
      : {}),
  };
  const seqlog: DifferentialTarget = {
    name: 'seqlog',
    address: () => ({ host: broker.host, port: broker.port }),
    async restart() {
      const port = broker.port;
      await broker.close();
      broker = await startBroker({ dataDir, port });
    },
  };
  return {
    kafka,
    seqlog,
    reference,
    async stop() {
      await Promise.allSettled([broker.close(), reference.stop()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
