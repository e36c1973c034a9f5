// Produce v12 (transaction version 2) against the real broker: the first transactional batch of a producer on a
// partition waits for the coordinator to add the partition (KIP-890 part 2); batches pipelined behind it on the
// same connection must still be appended after it, in order — the per-partition append queue.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/broker/index.ts';
import type { RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection } from '../../src/client/index.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { encodeRecordBatch } from '../../src/protocol/records/index.ts';

let broker: RunningBroker;
let connection: BrokerConnection;
before(async () => {
  broker = await startBroker();
  connection = await BrokerConnection.open({ host: broker.host, port: broker.port });
  const created = await connection.send(ApiKey.CreateTopics, 5, {
    topics: [{ name: 'tv2', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
});
after(async () => {
  connection?.close();
  await broker?.close();
});

it('pipelined v12 batches behind an implicit add keep their order; the next transaction needs the bumped epoch', async () => {
  const init = await connection.send(ApiKey.InitProducerId, 5, { transactionalId: 'tv2-txn', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.equal(init.errorCode, ErrorCode.NONE);
  const produce = (epoch: number, sequence: number) =>
    connection.send(ApiKey.Produce, 12, {
      transactionalId: 'tv2-txn',
      acks: -1,
      timeoutMs: 30_000,
      topicData: [
        {
          name: 'tv2',
          partitionData: [
            {
              index: 0,
              records: encodeRecordBatch({
                producerId: init.producerId,
                producerEpoch: epoch,
                baseSequence: sequence,
                isTransactional: true,
                records: [{ key: null, value: Buffer.from(`s${sequence}`), timestamp: 1_000n }],
              }),
            },
          ],
        },
      ],
    });
  // Sent back to back without waiting: the first adds the partition, the others must queue behind it.
  const answers = await Promise.all([produce(init.producerEpoch, 0), produce(init.producerEpoch, 1), produce(init.producerEpoch, 2)]);
  const results = answers.map((answer) => answer.responses[0].partitionResponses[0]);
  assert.deepEqual(results.map((r) => errorName(r.errorCode)), ['NONE', 'NONE', 'NONE']);
  assert.deepEqual(results.map((r) => r.baseOffset), [0n, 1n, 2n]);

  const ended = await connection.send(ApiKey.EndTxn, 5, { transactionalId: 'tv2-txn', producerId: init.producerId, producerEpoch: init.producerEpoch, committed: true });
  assert.equal(ended.errorCode, ErrorCode.NONE);
  assert.equal(ended.producerEpoch, init.producerEpoch + 1, 'EndTxn v5 bumps the epoch');
  // The COMMIT marker carries the new epoch, so a straggler of the old one is fenced on the partition.
  const stale = (await produce(init.producerEpoch, 3)).responses[0].partitionResponses[0];
  assert.equal(errorName(stale.errorCode), 'INVALID_PRODUCER_EPOCH');
  const next = (await produce(ended.producerEpoch, 0)).responses[0].partitionResponses[0];
  assert.deepEqual([errorName(next.errorCode), next.baseOffset], ['NONE', 4n]);
});
