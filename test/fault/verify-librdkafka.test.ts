// `verifyExactlyOnce` in CI size with librdkafka's producer (confluent-kafka from the repository's venv, driven by
// test/peers/python/history-producer.py) against an embedded seqlog broker: 10,000 records through the chaos proxy
// with the seeded schedule of lost acks, cut connections, delays and two broker crashes. librdkafka's own retries
// of lost acks are stored twice without idempotence; with it seqlog stores every record exactly once, in order.
// The same client against Apache Kafka is in verify-apache-kafka.test.ts. A missing peer fails the test.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { librdkafkaProducerFactory, requireLibrdkafkaPeer, verifyExactlyOnce } from '../../src/testkit/index.ts';

it("librdkafka's producer against seqlog: 10,000 records, >= 100 faults: duplicates without idempotence, none with it", { timeout: 300_000 }, async () => {
  requireLibrdkafkaPeer();
  const result = await verifyExactlyOnce({ records: 10_000, seed: 7, partitions: 3, producerFactory: librdkafkaProducerFactory() });
  const [off, on] = result.runs;
  const summary = result.runs.map((run) => `idempotence ${run.idempotent ? 'on' : 'off'}: stored ${run.stored}, duplicates ${run.duplicates}, faults ${run.faultsInjected} ${JSON.stringify(run.faultsByKind)}, ${Math.round(run.durationMs)} ms`).join('; ');
  process.stderr.write(`seqlog, librdkafka's producer: ${summary}\n`);
  assert.equal(off.idempotent, false);
  assert.equal(on.idempotent, true);
  for (const run of result.runs) {
    assert.equal(run.sent, 10_000);
    assert.ok(run.faultsInjected >= 100, `faults injected: ${run.faultsInjected}`);
    assert.equal(run.faultsByKind.crash, 2);
    assert.equal(run.lost, 0, JSON.stringify(run.check.anomalies.slice(0, 3)));
  }
  assert.ok(off.duplicates > 0, `without idempotence librdkafka's retried lost acks must turn into duplicates (${summary})`);
  assert.equal(on.duplicates, 0, summary);
  assert.equal(on.outOfOrder, 0, summary);
  assert.equal(on.stored, on.sent, summary);
  assert.equal(on.check.valid, true, JSON.stringify(on.check.anomalies.slice(0, 3)));
  assert.equal(result.ok, true);
});
