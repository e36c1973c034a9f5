// `verifyExactlyOnce` against the reference Apache Kafka (one combined broker+controller node, started once): the
// same seeded proxy faults as the seqlog run — lost acks, cut requests and responses, delayed answers; no broker
// crashes — with two producers, seqlog's own and librdkafka's (through confluent-kafka, driven by
// test/peers/python/history-producer.py). Without idempotence the retried lost acks are stored twice; with it
// Kafka stores every record exactly once, in order. A missing reference Kafka or peer fails the test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { librdkafkaProducerFactory, requireLibrdkafkaPeer, verifyExactlyOnce, type VerifyProducerFactory, type VerifyResult } from '../../src/testkit/index.ts';
import { startReferenceKafka, type ReferenceKafka } from '../reference/kafka.ts';

const records = 10_000;

function assertExactlyOnceContrast(result: VerifyResult, label: string): void {
  const [off, on] = result.runs;
  assert.equal(off.idempotent, false);
  assert.equal(on.idempotent, true);
  const summary = result.runs.map((run) => `idempotence ${run.idempotent ? 'on' : 'off'}: stored ${run.stored}, duplicates ${run.duplicates}, faults ${run.faultsInjected} ${JSON.stringify(run.faultsByKind)}, ${Math.round(run.durationMs)} ms`).join('; ');
  process.stderr.write(`${label}: ${summary}\n`);
  for (const run of result.runs) {
    assert.equal(run.sent, records);
    assert.ok(run.faultsInjected >= 100, `${label}: faults injected ${run.faultsInjected}`);
    assert.equal(run.faultsByKind.crash, 0, 'proxy faults only: no broker crashes against Apache Kafka');
    assert.equal(run.lost, 0, JSON.stringify(run.check.anomalies.slice(0, 3)));
  }
  assert.ok(off.duplicates > 0, `${label}: without idempotence the lost acks must turn into duplicates (${summary})`);
  assert.equal(on.duplicates, 0, summary);
  assert.equal(on.outOfOrder, 0, summary);
  assert.equal(on.stored, on.sent, summary);
  assert.equal(on.check.valid, true, JSON.stringify(on.check.anomalies.slice(0, 3)));
  assert.equal(result.ok, true);
}

describe('verifyExactlyOnce against Apache Kafka, proxy faults only', { timeout: 600_000 }, () => {
  let kafka: ReferenceKafka | undefined;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 1 });
  });

  after(async () => {
    await kafka?.stop();
  });

  const run = (producerFactory?: VerifyProducerFactory): Promise<VerifyResult> =>
    verifyExactlyOnce({ records, seed: 7, partitions: 3, bootstrap: kafka!.bootstrap, ...(producerFactory === undefined ? {} : { producerFactory }) });

  it(`seqlog's Producer: ${records} records, >= 100 faults: duplicates without idempotence, none with it`, { timeout: 240_000 }, async () => {
    assertExactlyOnceContrast(await run(), "Apache Kafka, seqlog's Producer");
  });

  it(`librdkafka's producer: ${records} records, >= 100 faults: duplicates without idempotence, none with it`, { timeout: 300_000 }, async () => {
    requireLibrdkafkaPeer();
    assertExactlyOnceContrast(await run(librdkafkaProducerFactory()), "Apache Kafka, librdkafka's producer");
  });
});
