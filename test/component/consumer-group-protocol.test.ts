// seqlog's consumer with groupProtocol 'consumer' (KIP-848) against the seqlog broker: members share partitions
// and hand them over on a leave with every record delivered exactly once and the commits kept, a slow revocation
// delays the new owner, and the options are validated as Java's ConsumerConfig does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Consumer } from '../../src/client/index.ts';
import { pollTimeoutLosesPartitions, shareLeaveAndCommit, slowRevoke, staticRestart } from './consumer-group-protocol-scenario.ts';

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

  it('validates the group protocol options like ConsumerConfig', () => {
    const bootstrap = broker.bootstrap;
    assert.throws(() => new Consumer({ bootstrap, groupId: 'g', groupProtocol: 'eager' as 'classic' }), /group\.protocol must be one of classic, consumer/);
    assert.throws(() => new Consumer({ bootstrap, groupId: 'g', groupRemoteAssignor: 'uniform' }), /group\.remote\.assignor is only supported with group\.protocol=consumer/);
    assert.throws(() => new Consumer({ bootstrap, groupId: 'g', 'group.protocol': 'consumer', 'session.timeout.ms': 10_000 }), /session\.timeout\.ms is not supported with group\.protocol=consumer/);
    assert.throws(() => new Consumer({ bootstrap, groupId: 'g', groupProtocol: 'consumer', partitionAssignors: ['range'] }), /partition\.assignment\.strategy is not supported/);
    assert.throws(() => new Consumer({ bootstrap, groupId: 'g', groupProtocol: 'consumer', groupRemoteAssignor: '' }), /group\.remote\.assignor must be a non-empty/);
    const ok = new Consumer({ bootstrap, groupId: 'g', 'group.protocol': 'consumer', 'group.remote.assignor': 'range' });
    assert.equal(ok.config.groupProtocol, 'consumer');
    assert.equal(ok.config.groupRemoteAssignor, 'range');
    assert.equal(new Consumer({ bootstrap, groupId: 'g' }).config.groupProtocol, 'classic', 'the default is Java\'s: classic');
  });
});
