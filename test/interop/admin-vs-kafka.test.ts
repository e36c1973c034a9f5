// seqlog's admin client against a real one-node Apache Kafka: the same scenario test/component/admin.test.ts runs
// against seqlog (create/describe/alter/delete topics and configs, offsets, delete records, producers, groups).
import { after, before, describe, it } from 'node:test';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';
import { runAdminScenario } from '../component/admin-scenario.ts';

describe('admin client against reference Apache Kafka, one node', { timeout: 300_000 }, () => {
  let kafka: ReferenceKafka;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 1 });
  });

  after(async () => {
    await kafka?.stop();
  });

  it('runs the shared admin scenario', async () => {
    await runAdminScenario(kafka.bootstrap, 'kafka');
  });
});
