// The two brokers of a differential test file: one Apache Kafka node (started once per file: it takes 10-20 s)
// and one seqlog broker on a data directory this module owns, so a restart can reopen the same data on the
// same port. `stop()` stops both and removes the seqlog data; the reference's own stop() removes Kafka's.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBroker } from '../../src/broker/index.ts';
import type { RunningBroker, StartBrokerOptions } from '../../src/broker/index.ts';
import { BrokerConnection } from '../../src/client/connection/broker-connection.ts';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { startReferenceKafka } from '../reference/kafka.ts';
import type { ReferenceKafka } from '../reference/kafka.ts';
import { assertScenario } from './differential.ts';
import type { DifferentialTarget, Scenario } from './differential.ts';

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
   * step is a no-op on Kafka, which a scenario may use only where makes the answers equivalent.
   */
  restartKafka?: boolean;
  /** Extra server.properties for the reference node (e.g. an authorizer). */
  referenceConfig?: Readonly<Record<string, string>>;
  /** Extra seqlog options, configured the same way as `referenceConfig`. */
  seqlogOptions?: Partial<StartBrokerOptions>;
}

/**
 * Kafka answers InitProducerId with COORDINATOR_LOAD_IN_PROGRESS until its producer-id block has arrived from the
 * controller; scenarios start once it hands out ids.
 */
export async function waitForProducerIds(host: string, port: number): Promise<void> {
  const connection = await BrokerConnection.open({ host, port });
  try {
    const deadline = Date.now() + 60000;
    for (;;) {
      const answer = await connection.send(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 2147483647, producerId: -1n, producerEpoch: -1 });
      if (answer.errorCode === ErrorCode.NONE) return;
      if (answer.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || Date.now() > deadline) {
        throw new Error(`reference Kafka does not hand out producer ids: error ${answer.errorCode}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    connection.close();
  }
}

/** Starts the reference Kafka (a missing installation throws: differential tests never skip) and seqlog. */
/**
 * seqlog configured like the reference node where it matters to an answer: one `__consumer_offsets` partition
 * (broker-config.ts), which is the partition AddOffsetsToTxn puts in a transaction and DescribeTransactions shows.
 */
const SEQLOG_CONFIG = { offsetsTopicNumPartitions: 1 } as const;

export async function startDifferentialTargets(options: DifferentialTargetsOptions = {}): Promise<DifferentialTargets> {
  const reference = await startReferenceKafka({ brokers: 1, ...(options.referenceConfig ? { config: options.referenceConfig } : {}) });
  const seqlogConfig = { ...SEQLOG_CONFIG, ...options.seqlogOptions };
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-differential-'));
  let broker: RunningBroker;
  try {
    broker = await startBroker({ dataDir, ...seqlogConfig });
  } catch (error) {
    await reference.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const node = reference.brokers[0];
  try {
    await waitForProducerIds(node.host, node.port);
  } catch (error) {
    await Promise.allSettled([broker.close(), reference.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const kafka: DifferentialTarget = {
    name: 'kafka',
    address: () => ({ host: node.host, port: node.port }),
    ...(options.restartKafka
      ? {
          async restart() {
            await reference.killBroker(node.id, 'SIGTERM');
            await reference.restartBroker(node.id);
            await waitForProducerIds(node.host, node.port);
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
      broker = await startBroker({ dataDir, port, ...seqlogConfig });
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

export interface DifferentialSuiteOptions {
  suiteTimeoutMs?: number;
  scenarioTimeoutMs?: number;
}

/**
 * The usual shape of a differential file: both brokers started once for the file, then each scenario a test that
 * must get the same answers from both.
 */
export function describeDifferentialScenarios(title: string, scenarios: readonly Scenario[], options: DifferentialSuiteOptions = {}): void {
  describe(title, { timeout: options.suiteTimeoutMs ?? 300_000 }, () => {
    let targets: DifferentialTargets | undefined;

    before(async () => {
      targets = await startDifferentialTargets();
    });

    after(async () => {
      await targets?.stop();
    });

    for (const scenario of scenarios) {
      test(scenario.name, { timeout: options.scenarioTimeoutMs ?? 60_000 }, async () => {
        assert.ok(targets, 'both brokers started');
        await assertScenario(scenario, [targets.kafka, targets.seqlog]);
      });
    }
  });
}
