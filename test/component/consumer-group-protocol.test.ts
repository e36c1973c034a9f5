// seqlog's consumer with groupProtocol 'consumer' (KIP-848) against the seqlog broker: members share partitions
// and hand them over on a leave with every record delivered exactly once and the commits kept, a slow revocation
// delays the new owner, and the options are validated as Java's ConsumerConfig does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Consumer, type ConsumerRecord } from '../../src/client/index.ts';
import { createTopic, produce, brokerRegex, pollTimeoutLosesPartitions, shareLeaveAndCommit, slowRevoke, staticRestart } from './consumer-group-protocol-scenario.ts';

describe('consumer with groupProtocol consumer (KIP-848) against seqlog', { timeout: 180_000 }, () => {
  let broker: RunningBroker;

  before(async () => {
    // Short heartbeats so that partitions move within a second, not Kafka's 5 s.
    broker = await startBroker({ groupConsumerHeartbeatIntervalMs: 250, groupConsumerSessionTimeoutMs: 10_000 });
  });

  after(async () => {
    await broker?.close();
  });

  it('three members share partitions, one leaves and its partitions move, every record once, commits kept', async () => {
    await shareLeaveAndCommit(broker.bootstrap, 'kip848-share', 'kip848-share-group');
  });

  it('a slow onPartitionsRevoked holds the partitions back from the joining member until it returns', async () => {
    await slowRevoke(broker.bootstrap, 'kip848-slow', 'kip848-slow-group');
  });

  it('a static member leaves with epoch -2 and gets its partitions back on restart; the other keeps its own', async () => {
    await staticRestart(broker.bootstrap, 'kip848-static', 'kip848-static-group');
  });

  it('a handler past max.poll.interval.ms loses the partitions, rejoins with epoch 0, and nothing is missing', async () => {
    await pollTimeoutLosesPartitions(broker.bootstrap, 'kip848-poll', 'kip848-poll-group');
  });

  it('subscribe({ regex }) is resolved by the broker (SubscribedTopicRegex, whole-name match)', async () => {
    await brokerRegex(broker.bootstrap, 'kip848rx', 'kip848-regex-group');
  });

  it('a broker restart keeps the membership: same member id and epoch, no partition lost, every record exactly once', async () => {
    // The group, its members and their assignments are in the offsets log (as Kafka keeps them in
    // __consumer_offsets): after the restart the member's next heartbeat carries on with its epoch.
    const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-kip848-restart-'));
    const settings = { dataDir, groupConsumerHeartbeatIntervalMs: 250, groupConsumerSessionTimeoutMs: 10_000 };
    let restartable = await startBroker(settings);
    const port = restartable.port;
    const topic = 'kip848-restart';
    const c = new Consumer({ bootstrap: restartable.bootstrap, groupId: 'kip848-restart-group', groupProtocol: 'consumer', autoOffsetReset: 'earliest', fetchMaxWaitMs: 50, retryBackoffMs: 50 });
    const lost: string[] = [];
    const revoked: string[] = [];
    const seen: ConsumerRecord[] = [];
    const controller = new AbortController();
    let run: Promise<void> | null = null;
    try {
      await createTopic(restartable.bootstrap, topic, 2);
      const first = await produce(restartable.bootstrap, topic, 2, 'before-', 20);
      c.subscribe(topic, {
        onPartitionsLost: (tps) => void lost.push(...tps.map((tp) => `${tp.partition}`)),
        onPartitionsRevoked: (tps) => void revoked.push(...tps.map((tp) => `${tp.partition}`)),
      });
      const failures: unknown[] = [];
      const loop = async (): Promise<void> => {
        // The run loop surfaces connection errors while the broker is down; the application runs it again.
        while (!controller.signal.aborted) {
          try {
            await c.run({ signal: controller.signal, eachRecord: (record) => void seen.push(record) });
          } catch (error) {
            failures.push(error);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      };
      run = loop();
      const deadline = Date.now() + 30_000;
      while (seen.length < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(seen.length, 20, 'every record before the restart');
      await c.commit();
      const before = c.groupMetadata();
      assert.ok(before.generationId > 0);

      await restartable.close();
      restartable = await startBroker({ ...settings, port });
      const second = await produce(restartable.bootstrap, topic, 2, 'after-', 20);
      const until = Date.now() + 60_000;
      while (seen.length < 40 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(failures.every((error) => !String(error).includes('ConsumerGroupHeartbeat')), `no heartbeat failure reaches the application: ${failures.map(String).join('; ')}`);
      assert.deepEqual(lost, [], 'no partition lost: the membership survived');
      assert.deepEqual(revoked, [], 'no partition revoked: no rebalance');
      const afterRestart = c.groupMetadata();
      assert.equal(afterRestart.memberId, before.memberId, 'the same member id');
      assert.equal(afterRestart.generationId, before.generationId, 'the same member epoch');
      assert.deepEqual(seen.map((r) => r.valueString()).sort(), [...first, ...second].sort(), 'every record exactly once');
    } finally {
      controller.abort();
      await run;
      await c.close();
      await restartable.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('validates the group protocol options like ConsumerConfig', () => {
    const bootstrap = broker.bootstrap;
    assert.throws(() => new Consumer({ bootstrap, groupId: 'g', groupProtocol: 'eager' as 'classic' }), /group\.protocol must be one of classic, consumer/);
    assert.throws(() => new Consumer({ bootstrap, groupId: 'g', groupRemoteAssignor: 'uniform' }), /group\.remote\.assignor is only supported with group\.protocol=consumer/);
    assert.throws(() => new Consumer({ bootstrap, groupId: 'g', 'group.protocol': 'consumer', 'session.timeout.ms': 10_000 }), /session\.timeout\.ms is not supported with group\.protocol=consumer/);
    assert.throws(() => new Consumer({ bootstrap, groupId: 'g', groupProtocol: 'consumer', partitionAssignors: ['range'] }), /partition\.assignment\.strategy is not supported/);
    assert.throws(() => new Consumer({ bootstrap, groupId: 'g', groupProtocol: 'consumer', groupRemoteAssignor: '' }), /group\.remote\.assignor must be a non-empty/);
    assert.throws(() => new Consumer({ bootstrap, groupId: 'g' }).subscribe({ regex: 'x.*' }), /needs groupProtocol 'consumer'/);
    const ok = new Consumer({ bootstrap, groupId: 'g', 'group.protocol': 'consumer', 'group.remote.assignor': 'range' });
    assert.equal(ok.config.groupProtocol, 'consumer');
    assert.equal(ok.config.groupRemoteAssignor, 'range');
    assert.equal(new Consumer({ bootstrap, groupId: 'g' }).config.groupProtocol, 'classic', 'the default is Java\'s: classic');
  });
});
