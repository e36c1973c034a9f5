// Consumer options: Kafka's names and camelCase resolve to the same values, defaults are Java's (except
// read_committed), and mistakes are refused with the name of what was meant.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConsumerConfig, type ConsumerOptions } from './consumer-config.ts';
import { KafkaClientError } from '../errors/kafka-client-error.ts';

describe('resolveConsumerConfig', () => {
  it('defaults: read_committed, latest, auto-commit only with a group, Java assignors', () => {
    const grouped = resolveConsumerConfig({ bootstrap: 'h:1', groupId: 'g' });
    assert.equal(grouped.isolationLevel, 1);
    assert.equal(grouped.autoOffsetReset, 'latest');
    assert.equal(grouped.enableAutoCommit, true);
    assert.deepEqual(grouped.partitionAssignors, ['range', 'cooperative-sticky']);
    assert.equal(grouped.maxPollIntervalMs, 300000);
    assert.equal(resolveConsumerConfig({ bootstrap: 'h:1' }).enableAutoCommit, false);
    assert.equal(grouped.checkCrcs, true, "Java's check.crcs default");
  });

  it('Kafka names and camelCase mean the same', () => {
    const kafka = resolveConsumerConfig({
      bootstrap: 'a:1,b:2',
      'group.id': 'g',
      'group.instance.id': 'i',
      'isolation.level': 'read_uncommitted',
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': 'false',
      'fetch.min.bytes': 10,
      'fetch.max.wait.ms': 20,
      'max.partition.fetch.bytes': 30,
      'session.timeout.ms': 10000,
      'heartbeat.interval.ms': 1000,
      'max.poll.interval.ms': 5000,
      'partition.assignment.strategy': 'org.apache.kafka.clients.consumer.RoundRobinAssignor',
      'check.crcs': 'false',
    });
    const camel = resolveConsumerConfig({
      bootstrap: ['a:1', 'b:2'],
      groupId: 'g',
      groupInstanceId: 'i',
      isolationLevel: 'read_uncommitted',
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      fetchMinBytes: 10,
      fetchMaxWaitMs: 20,
      maxPartitionFetchBytes: 30,
      sessionTimeoutMs: 10000,
      heartbeatIntervalMs: 1000,
      maxPollIntervalMs: 5000,
      partitionAssignors: ['roundrobin'],
      checkCrcs: false,
    });
    assert.deepEqual(kafka, camel);
    assert.equal(kafka.isolationLevel, 0);
  });

  it('refuses unknown names, bad values and contradictions', () => {
    const refuses = (options: object, pattern: RegExp): void => {
      assert.throws(() => resolveConsumerConfig(options as ConsumerOptions), (error: unknown) => error instanceof KafkaClientError && error.errorName === 'INVALID_CONFIG' && pattern.test(error.message));
    };
    refuses({ bootstrap: 'h:1', groupid: 'g' }, /'groupid'; did you mean 'groupId'\?/);
    refuses({ bootstrap: 'h:1', 'auto.offset.rest': 'earliest' }, /did you mean 'auto\.offset\.reset'/);
    refuses({ bootstrap: 'h:1', autoOffsetReset: 'smallest' }, /auto\.offset\.reset must be one of/);
    refuses({ bootstrap: 'h:1', groupId: 'g', heartbeatIntervalMs: 50000 }, /heartbeat\.interval\.ms must be lower/);
    refuses({ bootstrap: 'h:1', enableAutoCommit: true }, /needs group\.id/);
    refuses({ bootstrap: 'h:1', groupId: 'g', 'enable.auto.commit': 'yes' }, /enable\.auto\.commit must be true or false/);
    refuses({ bootstrap: 'h:1', 'check.crcs': 'no' }, /check\.crcs must be true or false, got 'no'/);
    // A value the Fetch request's int32 fields cannot carry is refused here, not when the first Fetch is encoded.
    refuses({ bootstrap: 'h:1', maxPartitionFetchBytes: 3_000_000_000 }, /max\.partition\.fetch\.bytes must be a number from 1 to 2147483647/);
    refuses({ bootstrap: 'h:1', 'partition.assignment.strategy': 'sticky' }, /unknown assignor 'sticky'/);
    refuses({ bootstrap: 'nohost' }, /not host:port/);
  });
});
