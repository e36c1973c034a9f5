// ACLs on seqlog alone (the differential test compares the decisions with Apache Kafka): the ACL APIs without an
// authorizer, super users, `allow.everyone.if.no.acl.found=false`, ACLs surviving a restart, and seqlog's own
// producer and admin client working under ACLs. Every caller is User:ANONYMOUS (PLAINTEXT).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Admin, KafkaClientError, Producer } from '../../src/client/index.ts';
import { BrokerConnection } from '../../src/client/connection/broker-connection.ts';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { spawn } from 'node:child_process';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function seqlog(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: { ...process.env, NO_COLOR: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

function rejectsWith(name: string) {
  return (error: unknown) => {
    assert.ok(error instanceof KafkaClientError, String(error));
    assert.equal(error.errorName, name);
    return true;
  };
}

describe('ACL APIs without an authorizer (the default)', () => {
  let broker: RunningBroker;
  before(async () => {
    broker = await startBroker({ topics: [{ name: 'open' }] });
  });
  after(() => broker.close());

  it('answers SECURITY_DISABLED and lets every request through', async () => {
    const admin = new Admin({ bootstrap: broker.bootstrap });
    const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 0 });
    try {
      await assert.rejects(admin.describeAcls(), rejectsWith('SECURITY_DISABLED'));
      await assert.rejects(admin.createAcls([{ resourceType: 'TOPIC', resourceName: 'open', principal: 'User:ANONYMOUS', operation: 'READ' }]), rejectsWith('SECURITY_DISABLED'));
      await assert.rejects(admin.deleteAcls([{}]), rejectsWith('SECURITY_DISABLED'));
      const sent = await producer.send({ topic: 'open', value: 'v' });
      assert.equal(sent.offset, 0n);
    } finally {
      await producer.close();
      await admin.close();
    }
  });
});

describe('StandardAuthorizer semantics on seqlog', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-acls-'));
  let broker: RunningBroker | undefined;
  after(async () => {
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a super user manages ACLs; after a restart without it the ACLs are still there and enforced', async () => {
    broker = await startBroker({ dataDir, authorizer: 'standard', superUsers: ['User:ANONYMOUS'], topics: [{ name: 'orders' }, { name: 'secret' }] });
    let admin = new Admin({ bootstrap: broker.bootstrap });
    try {
      await admin.createAcls([
        { resourceType: 'TOPIC', resourceName: 'ord', patternType: 'PREFIXED', principal: 'User:ANONYMOUS', operation: 'WRITE' },
        { resourceType: 'CLUSTER', resourceName: 'kafka-cluster', principal: 'User:ANONYMOUS', operation: 'DESCRIBE' },
        { resourceType: 'GROUP', resourceName: '*', principal: 'User:*', operation: 'READ', permission: 'DENY' },
      ]);
      assert.equal((await admin.describeAcls()).length, 3);
      assert.deepEqual(await admin.describeAcls({ resourceType: 'TOPIC', resourceName: 'orders', patternType: 'MATCH' }), [
        { resourceType: 'TOPIC', resourceName: 'ord', patternType: 'PREFIXED', principal: 'User:ANONYMOUS', host: '*', operation: 'WRITE', permission: 'ALLOW' },
      ]);
    } finally {
      await admin.close();
    }
    await broker.close();

    broker = await startBroker({ dataDir, authorizer: 'standard' });
    admin = new Admin({ bootstrap: broker.bootstrap });
    const producer = new Producer({ bootstrap: broker.bootstrap, lingerMs: 0 });
    const connection = await BrokerConnection.open({ host: broker.host, port: broker.port });
    try {
      // DESCRIBE on the cluster: the ACLs came back from the data dir.
      assert.equal((await admin.describeAcls()).length, 3);
      // No ALTER on the cluster: ACL changes are refused.
      await assert.rejects(admin.createAcls([{ resourceType: 'TOPIC', resourceName: 'secret', principal: 'User:ANONYMOUS', operation: 'READ' }]), rejectsWith('CLUSTER_AUTHORIZATION_FAILED'));
      // The idempotent producer gets its id through WRITE on some topic (KIP-679) and writes to the prefixed topic.
      const sent = await producer.send({ topic: 'orders', value: 'v' });
      assert.equal(sent.offset, 0n);
      // allow.everyone.if.no.acl.found=false: a topic without ACLs is closed.
      const produced = await connection.send(ApiKey.Metadata, 12, { topics: [{ name: 'secret', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      assert.equal(produced.topics[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const all = await connection.send(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      assert.deepEqual(all.topics.map((topic) => topic.name), ['orders'], 'a listing shows only the topics the caller may DESCRIBE (WRITE implies it)');
      // DENY on every group for everyone.
      const heartbeat = await connection.send(ApiKey.Heartbeat, 4, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null });
      assert.equal(heartbeat.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    } finally {
      connection.close();
      await producer.close();
      await admin.close();
    }
  });
});

describe('transactions under ACLs', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-acls-txn-'));
  let broker: RunningBroker | undefined;
  after(async () => {
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a producer with WRITE on its transactional id and topic commits; the markers (the broker\'s own requests) are written', async () => {
    // A super user sets the ACLs up; the broker then restarts without one.
    broker = await startBroker({ dataDir, authorizer: 'standard', superUsers: ['User:ANONYMOUS'], topics: [{ name: 'payments' }] });
    const admin = new Admin({ bootstrap: broker.bootstrap });
    await admin.createAcls([
      { resourceType: 'TOPIC', resourceName: 'payments', principal: 'User:ANONYMOUS', operation: 'WRITE' },
      { resourceType: 'TRANSACTIONAL_ID', resourceName: 'pay-', patternType: 'PREFIXED', principal: 'User:ANONYMOUS', operation: 'WRITE' },
    ]);
    await admin.close();
    await broker.close();
    broker = await startBroker({ dataDir, authorizer: 'standard' });

    const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'pay-1' });
    const connection = await BrokerConnection.open({ host: broker.host, port: broker.port });
    try {
      await producer.beginTransaction();
      await producer.send({ topic: 'payments', partition: 0, value: 'committed' });
      await producer.commitTransaction();
      // The commit marker follows the record: the last stable offset passes both (ListOffsets, read_committed).
      // ANONYMOUS may DESCRIBE the topic (WRITE implies it).
      const deadline = Date.now() + 10_000;
      for (;;) {
        const answer = await connection.send(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 1, topics: [{ name: 'payments', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }], timeoutMs: 5000 });
        const partition = answer.topics[0].partitions[0];
        assert.equal(partition.errorCode, ErrorCode.NONE);
        if (partition.offset === 2n) break;
        assert.ok(Date.now() < deadline, `last stable offset stuck at ${partition.offset}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const other = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'other-1' });
      try {
        await assert.rejects(other.beginTransaction(), rejectsWith('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'));
      } finally {
        await other.close().catch(() => undefined);
      }
    } finally {
      connection.close();
      await producer.close();
    }
  });
});

describe('ACLs for SASL users', () => {
  let broker: RunningBroker;
  const address = (name: string) => {
    const found = broker.listeners.find((listener) => listener.name === name);
    assert.ok(found, `listener ${name}`);
    return { host: found.host, port: found.port };
  };
  before(async () => {
    broker = await startBroker({
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      saslEnabledMechanisms: ['PLAIN'],
      saslPlainUsers: { admin: 'admin-secret', alice: 'alice-secret' },
      authorizer: 'standard',
      superUsers: ['User:admin'],
      topics: [{ name: 'orders' }],
    });
  });
  after(() => broker.close());

  it('the SASL identity is the principal: admin (super user) grants alice WRITE; ANONYMOUS stays out', async () => {
    const sasl = address('SASL_PLAINTEXT');
    const bootstrap = `${sasl.host}:${sasl.port}`;
    const admin = new Admin({ bootstrap, sasl: { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' } });
    const alice = { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } as const;
    const producer = new Producer({ bootstrap, sasl: alice, lingerMs: 0 });
    const aliceAdmin = new Admin({ bootstrap, sasl: alice });
    const anonymous = await BrokerConnection.open(address('PLAINTEXT'));
    try {
      await admin.createAcls([{ resourceType: 'TOPIC', resourceName: 'orders', principal: 'User:alice', operation: 'WRITE' }]);
      assert.equal((await producer.send({ topic: 'orders', value: 'v' })).offset, 0n);
      await assert.rejects(aliceAdmin.describeAcls(), rejectsWith('CLUSTER_AUTHORIZATION_FAILED'));
      const metadata = await anonymous.send(ApiKey.Metadata, 12, { topics: [{ name: 'orders', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      assert.equal(metadata.topics[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    } finally {
      anonymous.close();
      await producer.close();
      await aliceAdmin.close();
      await admin.close();
    }
  });
});

describe('seqlog acls (CLI)', () => {
  let broker: RunningBroker;
  before(async () => {
    broker = await startBroker({ authorizer: 'standard', superUsers: ['User:ANONYMOUS'] });
  });
  after(() => broker.close());

  it('adds, lists (JSON) and removes ACLs', async () => {
    const bootstrap = ['--bootstrap', broker.bootstrap];
    const added = await seqlog(['acls', 'add', ...bootstrap, '--topic', 'orders', '--pattern-type', 'prefixed', '--principal', 'User:alice', '--operation', 'READ', 'WRITE']);
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, /added 2 ACL\(s\)/);
    const listed = await seqlog(['acls', 'list', ...bootstrap, '--principal', 'User:alice', '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    const acls = JSON.parse(listed.stdout) as { operation: string; patternType: string; resourceName: string }[];
    assert.deepEqual(acls.map((acl) => `${acl.resourceName}/${acl.patternType}/${acl.operation}`).sort(), ['orders/PREFIXED/READ', 'orders/PREFIXED/WRITE']);
    const removed = await seqlog(['acls', 'remove', ...bootstrap, '--topic', 'orders', '--operation', 'WRITE', '--json']);
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal((JSON.parse(removed.stdout) as unknown[]).length, 1);
    const bad = await seqlog(['acls', 'add', ...bootstrap, '--topic', 'x', '--group', 'y', '--principal', 'User:a', '--operation', 'READ']);
    assert.equal(bad.status, 2);
  });
});
