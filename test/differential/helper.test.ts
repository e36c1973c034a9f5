// Proves the differential helper itself: Kafka against Kafka reports nothing (topic names and producer ids differ
// per target yet compare equal), a deliberately altered response is reported with scenario, step, field path and
// both values, a broker that really behaves differently (seqlog with deduplication switched off) is caught, and
// the comparison primitives (allow-list, relational producer ids, arrays as sets) behave as documented.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/broker/index.ts';
import { applyBrokerMutations } from '../../src/testkit/index.ts';
import type { RunningBroker } from '../../src/broker/index.ts';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import type { ProduceResponse } from '../../src/protocol/messages/generated/index.ts';
import { startReferenceKafka } from '../reference/kafka.ts';
import type { ReferenceKafka } from '../reference/kafka.ts';
import { waitForProducerIds } from './targets.ts';
import { TargetContext, assertSameBehaviour, compareValues, formatReport, runScenario } from './differential.ts';
import type { DifferentialTarget, Scenario } from './differential.ts';
import { RECORD_TIMESTAMP, describeProducersStep, fetchStep, initProducerIdStep, logEndOffsetStep, produceManyStep, produceStep } from './steps.ts';

/** A little of everything the idempotence scenarios use (UnifiedLogTest.testDuplicateAppends in miniature). */
const scenario: Scenario = {
  name: 'helper self-check: in-order, duplicate, gap, two partitions',
  topics: { t: { partitions: 2 } },
  steps: [
    initProducerIdStep('p1'),
    produceStep('seq 0..1', { producer: 'p1', seq: 0, count: 2 }, { baseOffset: 0n }),
    produceStep('duplicate of seq 0..1', { producer: 'p1', seq: 0, count: 2 }, { baseOffset: 0n, logAppendTimeMs: RECORD_TIMESTAMP }),
    produceStep('seq 5 (gap)', { producer: 'p1', seq: 5 }, { error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' }),
    produceManyStep(
      'both partitions',
      [
        { producer: 'p1', seq: 2, partition: 0 },
        { producer: 'p1', seq: 0, partition: 1 },
      ],
      [{ baseOffset: 2n }, { baseOffset: 0n }],
    ),
    logEndOffsetStep('log end offset', 3n),
    fetchStep('fetch', 0n, { offsets: [0n, 1n, 2n], highWatermark: 3n }),
    describeProducersStep('producer state', 1),
  ],
};

describe('differential helper', { timeout: 300_000 }, () => {
  let kafka: ReferenceKafka;
  let seqlogWithoutDeduplication: RunningBroker;
  let kafkaA: DifferentialTarget;
  let kafkaB: DifferentialTarget;

  before(async () => {
    kafka = await startReferenceKafka({ brokers: 1 });
    seqlogWithoutDeduplication = await startBroker();
    applyBrokerMutations(seqlogWithoutDeduplication, { disableDeduplication: true });
    const node = kafka.brokers[0];
    await waitForProducerIds(node.host, node.port);
    kafkaA = { name: 'kafka-a', address: () => ({ host: node.host, port: node.port }) };
    kafkaB = { name: 'kafka-b', address: () => ({ host: node.host, port: node.port }) };
  });

  after(async () => {
    await Promise.allSettled([seqlogWithoutDeduplication?.close(), kafka?.stop()]);
  });

  test('Kafka against Kafka: no differences, although topic names and producer ids differ per target', { timeout: 120_000 }, async () => {
    const result = await runScenario(scenario, [kafkaA, kafkaB]);
    assertSameBehaviour(result);
    assert.deepEqual(result.targets, ['kafka-a', 'kafka-b']);
    assert.equal(result.differences.length, 0);
    // Producer ids are compared by label: both sides show the label, not the (different) numbers.
    const initA = result.responses['kafka-a'][0] as { producerId: string };
    const initB = result.responses['kafka-b'][0] as { producerId: string };
    assert.equal(initA.producerId, '<producerId:p1>');
    assert.equal(initB.producerId, '<producerId:p1>');
    // Topic names are per target and come back as their logical placeholder.
    const produced = result.responses['kafka-a'][1] as { responses: { name: string }[] };
    assert.equal(produced.responses[0].name, '<topic:t>');
  });

  test('a deliberately altered response is reported with scenario, step, field path and both values', { timeout: 120_000 }, async () => {
    const altered: DifferentialTarget = {
      ...kafkaB,
      interceptResponse(stepIndex, response) {
        if (stepIndex !== 2) return response;
        const produce = response as ProduceResponse;
        const partition = produce.responses[0].partitionResponses[0];
        return {
          ...produce,
          responses: [{ ...produce.responses[0], partitionResponses: [{ ...partition, errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1n }] }],
        };
      },
    };
    const result = await runScenario(scenario, [kafkaA, altered]);
    const paths = result.differences.map((d) => d.path);
    assert.deepEqual(paths, ['responses[0].partitionResponses[0].errorCode', 'responses[0].partitionResponses[0].baseOffset']);
    const first = result.differences[0];
    assert.equal(first.scenario, scenario.name);
    assert.equal(first.stepIndex, 3);
    assert.equal(first.step, 'duplicate of seq 0..1');
    assert.match(first.request, /^Produce v\d+$/);
    assert.deepEqual(first.values, { 'kafka-a': '0 (NONE)', 'kafka-b': '45 (OUT_OF_ORDER_SEQUENCE_NUMBER)' });
    // The altered side also fails the step's own expectation.
    assert.ok(result.failures.some((f) => f.startsWith('kafka-b: step 3 "duplicate of seq 0..1": expectation failed')), result.failures.join('\n'));
    const report = formatReport(result);
    assert.match(report, /scenario "helper self-check[^"]*", step 3 "duplicate of seq 0\.\.1" \(Produce v\d+\): responses\[0\]\.partitionResponses\[0\]\.errorCode: kafka-a=0 \(NONE\) {2}kafka-b=45 \(OUT_OF_ORDER_SEQUENCE_NUMBER\)/);
    assert.match(report, /baseOffset: kafka-a="0n" {2}kafka-b="-1n"/);
    assert.throws(() => assertSameBehaviour(result), /differential run disagrees/);
  });

  test('a broker that really differs is caught: seqlog with deduplication switched off appends the duplicate', { timeout: 120_000 }, async () => {
    const broken: DifferentialTarget = {
      name: 'seqlog-no-dedup',
      address: () => ({ host: seqlogWithoutDeduplication.host, port: seqlogWithoutDeduplication.port }),
    };
    const result = await runScenario(scenario, [kafkaA, broken]);
    const duplicate = result.differences.find((d) => d.stepIndex === 3 && d.path === 'responses[0].partitionResponses[0].baseOffset');
    assert.ok(duplicate, formatReport(result));
    assert.deepEqual(duplicate.values, { 'kafka-a': '"0n"', 'seqlog-no-dedup': '"2n"' });
    assert.ok(result.differences.some((d) => d.step === 'log end offset'), formatReport(result));
  });

  test('comparison: allow-listed fields, relational producer ids, arrays compared as sets, length differences', () => {
    assert.deepEqual(compareValues({ throttleTimeMs: 0, clusterId: 'a', errorCode: 0 }, { throttleTimeMs: 7, clusterId: 'b', errorCode: 0 }), []);
    const differences = compareValues({ a: [1, 2], b: { errorCode: 0 } }, { a: [1, 2, 3], b: { errorCode: 3 } });
    assert.deepEqual(
      differences.map((d) => [d.path, d.left, d.right]),
      [
        ['a.length', '2 [1,2]', '3 [1,2,3]'],
        ['b.errorCode', '0 (NONE)', '3 (UNKNOWN_TOPIC_OR_PARTITION)'],
      ],
    );
    // Relational producer ids: the same label matches whatever the number; an unlabelled id is numbered.
    const left = new TargetContext('left', 'x');
    const right = new TargetContext('right', 'y');
    left.rememberProducerId('p1', 5n);
    right.rememberProducerId('p1', 9000n);
    assert.equal(left.normalizeProducerId(5n), right.normalizeProducerId(9000n));
    assert.notEqual(left.normalizeProducerId(5n), right.normalizeProducerId(9001n));
    assert.equal(left.normalizeProducerId(-1n), '-1');
    assert.equal(left.normalizeProducerId(77n), '<producerId:#1>');
    assert.equal(left.topic('t'), 'x-t');
  });
});
