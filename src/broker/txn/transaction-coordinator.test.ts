// The coordinator as a state machine over its transaction log (Kafka's TransactionCoordinatorTest and
// TransactionStateManagerTest): the marker writer and the group offsets are plain functions here, so a test can
// hold markers back, crash in PrepareCommit, and move the clock.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { nodeFileSystem } from '../log/log-file-system.ts';
import { silentLogger } from '../logger.ts';
import { TransactionCoordinator, type TransactionCoordinatorOptions, type TransactionMarker } from './transaction-coordinator.ts';
import { TRANSACTION_LOG_DIRECTORY, TRANSACTION_LOG_FILE } from './transaction-log.ts';
import { isValidTransition, TransactionState } from './transaction-state.ts';

interface Harness {
  coordinator: TransactionCoordinator;
  markers: TransactionMarker[];
  offsetsCompleted: { producerId: bigint; commit: boolean }[];
  now: { value: number };
  reopen(overrides?: Partial<TransactionCoordinatorOptions>): Promise<void>;
  close(): Promise<void>;
}

async function harness(overrides: Partial<TransactionCoordinatorOptions> = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-txn-unit-'));
  let nextProducerId = 1000n;
  const now = { value: 1_000_000 };
  const markers: TransactionMarker[] = [];
  const offsetsCompleted: { producerId: bigint; commit: boolean }[] = [];
  const open = (extra: Partial<TransactionCoordinatorOptions>) =>
    TransactionCoordinator.open({
      dataDir,
      fs: nodeFileSystem,
      logger: silentLogger,
      clock: () => now.value,
      durability: 'always',
      generateProducerId: () => nextProducerId++,
      writeMarkers: async (marker) => {
        markers.push(marker);
        return marker.partitions.map((p) => ({ ...p, errorCode: ErrorCode.NONE }));
      },
      completeTransactionalOffsets: async (producerId, _epoch, commit) => {
        offsetsCompleted.push({ producerId, commit });
      },
      ...overrides,
      ...extra,
    });
  const h: Harness = {
    coordinator: open({}),
    markers,
    offsetsCompleted,
    now,
    async reopen(extra = {}) {
      await h.coordinator.close();
      h.coordinator = open(extra);
    },
    async close() {
      await h.coordinator.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}

const tp = (partition: number) => ({ topic: 't', partition });

describe('TransactionState', () => {
  test("Kafka's legal transitions", () => {
    const S = TransactionState;
    assert.ok(isValidTransition(S.Ongoing, S.PrepareCommit));
    assert.ok(isValidTransition(S.PrepareEpochFence, S.PrepareAbort));
    assert.ok(isValidTransition(S.CompleteAbort, S.Ongoing));
    assert.ok(!isValidTransition(S.Empty, S.PrepareCommit));
    assert.ok(!isValidTransition(S.PrepareCommit, S.CompleteAbort));
    assert.ok(!isValidTransition(S.Ongoing, S.Dead));
  });
});

describe('TransactionCoordinator', () => {
  test('a crash in PrepareCommit: after reopening, the markers are written and the transaction completes', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let restarted = false;
    const written: TransactionMarker[] = [];
    const h = await harness({
      // Before the "crash" markers never get written (the partition leader is away); after it they are.
      writeMarkers: async (marker) => {
        if (restarted) {
          written.push(marker);
          return marker.partitions.map((p) => ({ ...p, errorCode: ErrorCode.NONE }));
        }
        await held;
        return marker.partitions.map((p) => ({ ...p, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
      },
    });
    try {
      const { producerId, producerEpoch } = await h.coordinator.initProducerId('tx', 60000, -1n, -1);
      assert.equal(await h.coordinator.addPartitions('tx', producerId, producerEpoch, [tp(0), tp(1)]), ErrorCode.NONE);
      assert.equal((await h.coordinator.endTransaction('tx', producerId, producerEpoch, true)).errorCode, ErrorCode.NONE);
      assert.equal(h.coordinator.stateOf('tx'), TransactionState.PrepareCommit);
      assert.equal(await h.coordinator.addPartitions('tx', producerId, producerEpoch, [tp(0)]), ErrorCode.CONCURRENT_TRANSACTIONS);
      const closing = h.reopen({});
      release();
      restarted = true;
      await closing;
      await h.coordinator.idle();
      assert.equal(h.coordinator.stateOf('tx'), TransactionState.CompleteCommit);
      assert.deepEqual(written.map((m) => [m.producerId, m.producerEpoch, m.commit, m.partitions.length]), [[producerId, producerEpoch, true, 2]]);
    } finally {
      await h.close();
    }
  });

  test('offsets in a transaction are completed through the group coordinator, with the data markers', async () => {
    const h = await harness();
    try {
      const { producerId, producerEpoch } = await h.coordinator.initProducerId('tx', 60000, -1n, -1);
      const offsets = { topic: '__consumer_offsets', partition: h.coordinator.offsetsPartitionFor('group') };
      assert.equal(await h.coordinator.addPartitions('tx', producerId, producerEpoch, [offsets, tp(0)]), ErrorCode.NONE);
      await h.coordinator.endTransaction('tx', producerId, producerEpoch, false);
      await h.coordinator.idle();
      assert.deepEqual(h.offsetsCompleted, [{ producerId, commit: false }]);
      // The offsets partition is not a data partition: no marker goes to it.
      assert.deepEqual(h.markers[0].partitions, [tp(0)]);
    } finally {
      await h.close();
    }
  });

  test('a timed-out transaction is aborted with an epoch bump; the old epoch is fenced', async () => {
    const h = await harness();
    try {
      const { producerId, producerEpoch } = await h.coordinator.initProducerId('tx', 1000, -1n, -1);
      await h.coordinator.addPartitions('tx', producerId, producerEpoch, [tp(0)]);
      h.now.value += 1000;
      assert.equal(h.coordinator.abortTimedOutTransactions(), 0, 'not yet past the timeout');
      h.now.value += 1;
      assert.equal(h.coordinator.abortTimedOutTransactions(), 1);
      await h.coordinator.idle();
      assert.equal(h.coordinator.stateOf('tx'), TransactionState.CompleteAbort);
      assert.equal(h.markers[0].producerEpoch, producerEpoch + 1, 'the abort marker carries the fencing epoch');
      assert.equal((await h.coordinator.endTransaction('tx', producerId, producerEpoch, true)).errorCode, ErrorCode.PRODUCER_FENCED);
    } finally {
      await h.close();
    }
  });

  test('transactional ids idle for transactional.id.expiration.ms are removed, also from the log', async () => {
    const h = await harness({ config: { transactionalIdExpirationMs: 5000 } });
    try {
      await h.coordinator.initProducerId('old', 60000, -1n, -1);
      h.now.value += 3000;
      await h.coordinator.initProducerId('young', 60000, -1n, -1);
      h.now.value += 2500;
      assert.equal(await h.coordinator.removeExpiredTransactionalIds(), 1);
      assert.equal(h.coordinator.stateOf('old'), undefined);
      assert.equal(h.coordinator.stateOf('young'), TransactionState.Empty);
      await h.reopen();
      assert.equal(h.coordinator.stateOf('old'), undefined, 'the tombstone survives a restart');
      assert.equal(h.coordinator.stateOf('young'), TransactionState.Empty);
    } finally {
      await h.close();
    }
  });

  test('epoch exhaustion rotates to a new producer id at epoch 0 (prepareProducerIdRotation)', async () => {
    const h = await harness();
    try {
      let result = await h.coordinator.initProducerId('tx', 60000, -1n, -1);
      const first = result.producerId;
      // Bump with KIP-360 until the epoch is exhausted (32766).
      while (result.producerEpoch < 32766) result = await h.coordinator.initProducerId('tx', 60000, result.producerId, result.producerEpoch);
      const rotated = await h.coordinator.initProducerId('tx', 60000, result.producerId, result.producerEpoch);
      assert.notEqual(rotated.producerId, first);
      assert.equal(rotated.producerEpoch, 0);
    } finally {
      await h.close();
    }
  });

  test('TV2: EndTxn bumps the epoch; at exhaustion the transaction ends on the next producer id at epoch 0', async () => {
    const h = await harness();
    try {
      let { producerId, producerEpoch } = await h.coordinator.initProducerId('tx', 60000, -1n, -1);
      assert.equal(await h.coordinator.addPartitionImplicitly('tx', producerId, producerEpoch, 't', 0), ErrorCode.NONE);
      const ended = await h.coordinator.endTransaction('tx', producerId, producerEpoch, true, 2);
      assert.deepEqual([ended.errorCode, ended.producerId, ended.producerEpoch], [ErrorCode.NONE, producerId, producerEpoch + 1]);
      assert.equal(h.markers.at(-1)?.producerEpoch, producerEpoch + 1, 'the marker carries the bumped epoch');
      // The next transaction starts while the markers may still be in flight: the implicit add waits for them.
      assert.equal(await h.coordinator.addPartitionImplicitly('tx', producerId, producerEpoch + 1, 't', 0), ErrorCode.NONE);
      await h.coordinator.endTransaction('tx', producerId, producerEpoch + 1, false, 2);
      await h.coordinator.idle();
      // Walk the epoch up to exhaustion with KIP-360 bumps, then end a TV2 transaction there.
      ({ producerId, producerEpoch } = await h.coordinator.initProducerId('tx', 60000, producerId, producerEpoch + 2));
      while (producerEpoch < 32766) ({ producerId, producerEpoch } = await h.coordinator.initProducerId('tx', 60000, producerId, producerEpoch));
      await h.coordinator.addPartitionImplicitly('tx', producerId, producerEpoch, 't', 0);
      const rotated = await h.coordinator.endTransaction('tx', producerId, producerEpoch, true, 2);
      assert.equal(rotated.errorCode, ErrorCode.NONE);
      assert.notEqual(rotated.producerId, producerId);
      assert.equal(rotated.producerEpoch, 0);
      await h.coordinator.idle();
      assert.equal(h.markers.at(-1)?.producerEpoch, 32767, 'the last marker of the old id');
      const retried = await h.coordinator.endTransaction('tx', producerId, producerEpoch, true, 2);
      assert.deepEqual([retried.errorCode, retried.producerId, retried.producerEpoch], [ErrorCode.NONE, rotated.producerId, 0], 'a retry with the old id');
    } finally {
      await h.close();
    }
  });

  test('a torn tail of the transaction log is cut off; what was acknowledged is kept', async () => {
    const h = await harness();
    try {
      const { producerId, producerEpoch } = await h.coordinator.initProducerId('tx', 60000, -1n, -1);
      await h.coordinator.addPartitions('tx', producerId, producerEpoch, [tp(0)]);
      await h.coordinator.close();
      const file = (h.coordinator as unknown as { log: { path: string } }).log.path;
      const before = statSync(file).size;
      appendFileSync(file, Buffer.from([0, 0, 0, 40, 1, 2, 3]));
      await h.reopen();
      assert.equal(h.coordinator.stateOf('tx'), TransactionState.Ongoing);
      assert.equal(statSync(file).size, before);
      assert.ok(file.endsWith(join(TRANSACTION_LOG_DIRECTORY, TRANSACTION_LOG_FILE)));
    } finally {
      await h.close();
    }
  });
});
