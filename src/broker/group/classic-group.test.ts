// ClassicGroup on its own: transitions, protocol selection, member bookkeeping and the offset-commit rules,
// mirroring Kafka's `ClassicGroupTest`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../protocol/errors/index.ts';
import { Writer } from '../../protocol/wire/writer.ts';
import { BrokerError } from '../broker-error.ts';
import { ClassicGroup, ClassicGroupState } from './classic-group.ts';
import { ClassicGroupMember, type GroupProtocol } from './classic-group-member.ts';
import { subscriptionTopics } from './consumer-protocol.ts';

const clock = () => 1000;

function member(memberId: string, protocols: GroupProtocol[], groupInstanceId: string | null = null): ClassicGroupMember {
  return new ClassicGroupMember({
    memberId,
    groupInstanceId,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 30_000,
    sessionTimeoutMs: 10_000,
    protocolType: 'consumer',
    supportedProtocols: protocols,
  });
}

const protocols = (...names: string[]): GroupProtocol[] => names.map((name) => ({ name, metadata: Buffer.from(name) }));

function errorCode(action: () => void): number {
  try {
    action();
    return ErrorCode.NONE;
  } catch (error) {
    if (error instanceof BrokerError) return error.code;
    throw error;
  }
}

describe('ClassicGroup', () => {
  it('allows only the transitions of ClassicGroupState (testStateTransitions)', () => {
    const group = new ClassicGroup('g', clock);
    assert.throws(() => group.transitionTo(ClassicGroupState.Stable));
    assert.throws(() => group.transitionTo(ClassicGroupState.CompletingRebalance));
    group.transitionTo(ClassicGroupState.PreparingRebalance);
    assert.throws(() => group.transitionTo(ClassicGroupState.Stable));
    group.transitionTo(ClassicGroupState.CompletingRebalance);
    assert.throws(() => group.transitionTo(ClassicGroupState.Empty));
    group.transitionTo(ClassicGroupState.Stable);
    assert.equal(group.canRebalance(), true);
    group.transitionTo(ClassicGroupState.Dead);
    assert.equal(group.canRebalance(), false);
    assert.throws(() => group.transitionTo(ClassicGroupState.PreparingRebalance));
  });

  it('supports protocols only when the type matches and every member supports one of them', () => {
    const group = new ClassicGroup('g', clock);
    assert.equal(group.supportsProtocols('consumer', protocols('range')), true);
    assert.equal(group.supportsProtocols('', protocols('range')), false);
    assert.equal(group.supportsProtocols('consumer', []), false);
    group.add(member('a', protocols('range', 'roundrobin')), null);
    group.transitionTo(ClassicGroupState.PreparingRebalance);
    group.add(member('b', protocols('roundrobin')), null);
    assert.equal(group.supportsProtocols('consumer', protocols('roundrobin')), true);
    assert.equal(group.supportsProtocols('consumer', protocols('range')), false);
    assert.equal(group.supportsProtocols('connect', protocols('roundrobin')), false);
    assert.equal(group.selectProtocol(), 'roundrobin');
  });

  it('hands leadership to the next member in join order when the leader leaves', () => {
    const group = new ClassicGroup('g', clock);
    group.add(member('a', protocols('range')), null);
    group.add(member('b', protocols('range')), null);
    group.add(member('c', protocols('range')), null);
    assert.equal(group.leaderId, 'a');
    group.remove('a');
    assert.equal(group.leaderId, 'b');
    group.remove('b');
    group.remove('c');
    assert.equal(group.leaderId, null);
  });

  it('keeps a replaced static member in place and fences its old id', () => {
    const group = new ClassicGroup('g', clock);
    group.add(member('a', protocols('range'), 'instance-a'), null);
    group.add(member('b', protocols('range')), null);
    const replaced = group.replaceStaticMember('instance-a', 'a', 'a2');
    assert.equal(replaced.memberId, 'a2');
    assert.equal(group.leaderId, 'a2');
    assert.deepEqual(group.allMembers().map((m) => m.memberId), ['a2', 'b']);
    assert.equal(errorCode(() => group.validateMember('a', 'instance-a')), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(errorCode(() => group.validateMember('a2', 'instance-a')), ErrorCode.NONE);
    assert.equal(errorCode(() => group.validateMember('x', 'instance-x')), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('validates offset commits by state, member and generation (testValidateOffsetCommit)', () => {
    const stable = new ClassicGroup('g', clock);
    stable.add(member('a', protocols('range')), null);
    stable.transitionTo(ClassicGroupState.PreparingRebalance);
    stable.initNextGeneration();
    const completing = stable.state;
    assert.equal(completing, ClassicGroupState.CompletingRebalance);
    const generation = stable.generationId;
    const cases: [string, string, number, boolean, number][] = [
      // memberId, groupInstanceId ('' = none), generationId, transactional, expected while CompletingRebalance
      ['a', '', generation, false, ErrorCode.REBALANCE_IN_PROGRESS],
      ['a', '', generation, true, ErrorCode.NONE],
      ['a', '', generation + 1, false, ErrorCode.ILLEGAL_GENERATION],
      ['x', '', generation, false, ErrorCode.UNKNOWN_MEMBER_ID],
      ['', '', -1, false, ErrorCode.UNKNOWN_MEMBER_ID],
      ['', '', -1, true, ErrorCode.NONE],
    ];
    for (const [memberId, instanceId, generationId, transactional, expected] of cases) {
      assert.equal(
        errorCode(() => stable.validateOffsetCommit(memberId, instanceId === '' ? null : instanceId, generationId, transactional)),
        expected,
        `${memberId}/${generationId}/${transactional}`,
      );
    }
    const empty = new ClassicGroup('simple', clock);
    assert.equal(errorCode(() => empty.validateOffsetCommit('', null, -1, false)), ErrorCode.NONE);
    assert.equal(errorCode(() => empty.validateOffsetCommit('a', null, 0, false)), ErrorCode.UNKNOWN_MEMBER_ID);
    empty.transitionTo(ClassicGroupState.PreparingRebalance);
    empty.transitionTo(ClassicGroupState.Empty);
    empty.transitionTo(ClassicGroupState.Dead);
    assert.equal(errorCode(() => empty.validateOffsetCommit('', null, -1, false)), ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('reads the subscribed topics of consumer-protocol members, and tolerates garbage', () => {
    const writer = new Writer();
    writer.int16(3).int32(2).string('orders').string('payments').bytes(null);
    assert.deepEqual(subscriptionTopics(Buffer.from(writer.finish())), ['orders', 'payments']);
    assert.equal(subscriptionTopics(Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff])), null);
    assert.equal(subscriptionTopics(Buffer.alloc(1)), null);

    const group = new ClassicGroup('g', clock);
    group.add(member('a', [{ name: 'range', metadata: Buffer.from(writer.finish()) }]), null);
    group.transitionTo(ClassicGroupState.PreparingRebalance);
    group.initNextGeneration();
    assert.equal(group.isSubscribedToTopic('orders'), true);
    assert.equal(group.isSubscribedToTopic('archive'), false);
  });
});
