// Zombie fencing, both layers, on seqlog's embedded broker.
//
// 1. A client that does not fence itself (`UnfencedTransactionalProducer`: keeps its producer id and old epoch
//    whatever the broker answers) stalls with an open transaction while a successor with the same transactional
//    id takes over. The real broker fences it — its transaction is aborted, its late write, offsets and commit are
//    refused — and the checker finds every input exactly once. The same zombie on a broker that does not fence
//    (`BrokerMutations.skipProducerFencing`) commits next to its successor, and the checker reports it
//    (OUTPUT_DUPLICATED), so a zombie's writes becoming visible cannot go unseen.
// 2. Fencing by generation (KIP-447): two ExactlyOnceProcessor instances with different transactional ids share a
//    group; the first stalls inside a transaction until the group moves on without it. Its offsets carry a stale
//    generation and are refused, its transaction aborts, and no input has two outputs.
// The same scenarios against Apache Kafka are in txn-checker-mutation.test.ts (one reference Kafka per file).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedBroker, TxnAnomalyKind, type BrokerMutations } from '../../src/testkit/index.ts';
import { assertZombieFenced, INPUTS, staleGeneration, zombieAfterTakeover } from './txn-zombie-scenarios.ts';

/** Runs `scenario` against a fresh embedded seqlog broker (with `mutations`). */
async function onEmbedded<T>(mutations: BrokerMutations | undefined, scenario: (bootstrap: string) => Promise<T>): Promise<T> {
  const broker = await EmbeddedBroker.start({ fsync: 'always', groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 1000, ...(mutations === undefined ? {} : { mutations }) });
  try {
    return await scenario(broker.bootstrap);
  } finally {
    await broker.close();
  }
}

describe('a client that does not fence itself (reuses its old epoch after a successor took over)', { timeout: 120_000 }, () => {
  it('the broker fences it: its transaction is aborted, its late write and commit are refused, every input has one output', async () => {
    assertZombieFenced(await onEmbedded(undefined, (bootstrap) => zombieAfterTakeover(bootstrap, 'zombie')));
  });

  it('on a broker that does not fence, the zombie commits next to its successor: OUTPUT_DUPLICATED for every input', async () => {
    const { check, answers } = await onEmbedded({ skipProducerFencing: true }, (bootstrap) => zombieAfterTakeover(bootstrap, 'zombie'));
    assert.equal(answers.lateWrite.errorName, 'NONE');
    assert.equal(answers.offsets.errorName, 'NONE');
    assert.equal(answers.commit.errorName, 'NONE');
    assert.equal(check.anomalyCounts[TxnAnomalyKind.outputDuplicated], INPUTS, JSON.stringify(check.anomalyCounts));
    const example = check.anomalies.find((a) => a.kind === TxnAnomalyKind.outputDuplicated);
    assert.ok(example?.transactions.some((t) => t.startsWith('zombie#')) && example.transactions.some((t) => t.startsWith('successor#')), JSON.stringify(example));
    assert.equal(check.valid, false);
  });
});

describe('fencing by generation (KIP-447): a processor whose group generation is stale', { timeout: 120_000 }, () => {
  it('the group rebalances while it stalls: its offsets are refused, it aborts, every input has one output', async () => {
    await onEmbedded(undefined, (bootstrap) => staleGeneration(bootstrap, 'generation', 0));
  });

  it('it left the group on a poll timeout before the other instance joined: its offsets still carry its old generation and are refused', async () => {
    // Kafka's consumer keeps the generation of its last join for groupMetadata(); offsets sent with generation -1
    // and no member id would pass as a commit from outside the group, and the zombie's transaction would commit.
    await onEmbedded(undefined, (bootstrap) => staleGeneration(bootstrap, 'generation', 3000));
  });
});
