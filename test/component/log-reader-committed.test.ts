// readLog's read_committed final read: a broker answers EndTxn before it writes the markers (Kafka's
// TransactionCoordinator does the same), so a read started right after a commit can find the LSO still below the
// committed records. The read waits for the LSO to reach the high watermark it started at, within a bound.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Producer } from '../../src/client/index.ts';
import { readLog } from '../../src/testkit/index.ts';

describe('readLog read_committed and transactions still being decided', () => {
  let broker: RunningBroker;

  before(async () => {
    broker = await startBroker({ topics: [{ name: 'bills', partitions: 1 }, { name: 'open', partitions: 1 }] });
  });

  after(async () => {
    await broker?.close();
  });

  it('includes a transaction committed while the read waits for the LSO', async () => {
    const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'bills-writer' });
    try {
      await producer.initTransactions();
      await producer.beginTransaction();
      await producer.send({ topic: 'bills', partition: 0, value: 'bill-1' });
      const reading = readLog({ bootstrap: broker.bootstrap, topic: 'bills', isolationLevel: 'read_committed' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await producer.commitTransaction();
      const scan = await reading;
      assert.deepEqual(scan.get(0)?.map((record) => record.value), ['bill-1']);
    } finally {
      await producer.close();
    }
  });

  it('reads up to the LSO once the wait is over when a transaction stays open', async () => {
    const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'open-writer' });
    try {
      await producer.initTransactions();
      await producer.beginTransaction();
      await producer.send({ topic: 'open', partition: 0, value: 'committed' });
      await producer.commitTransaction();
      await producer.beginTransaction();
      await producer.send({ topic: 'open', partition: 0, value: 'still-open' });
      const scan = await readLog({ bootstrap: broker.bootstrap, topic: 'open', isolationLevel: 'read_committed', pendingTransactionWaitMs: 200 });
      assert.deepEqual(scan.get(0)?.map((record) => record.value), ['committed']);
      const everything = await readLog({ bootstrap: broker.bootstrap, topic: 'open' });
      assert.deepEqual(everything.get(0)?.map((record) => record.value), ['committed', 'still-open']);
      await producer.abortTransaction();
    } finally {
      await producer.close();
    }
  });
});
