// `seqlog topics`, `seqlog configs` and `seqlog groups` against an in-process broker, run as a user runs them:
// the CLI's sources in a child process, tables into a pipe without colour codes, --json parseable, failures as one
// line with Kafka's error name and a non-zero exit status.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { Admin, Producer } from '../../src/client/index.ts';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function seqlog(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: { ...process.env, NO_COLOR: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

function assertOneLineFailure(result: { status: number | null; stderr: string }, pattern: RegExp, status = 1): void {
  assert.equal(result.status, status, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, pattern);
}

describe('seqlog topics / configs / groups', () => {
  let broker: RunningBroker;
  let bootstrap: string[];
  before(async () => {
    broker = await startBroker();
    bootstrap = ['--bootstrap', broker.bootstrap];
  });
  after(() => broker.close());

  it('topics: create with configs, list, describe --json, delete; errors are one line', async () => {
    const created = await seqlog(['topics', 'create', 'orders', '--partitions', '3', '--config', 'retention.ms=3600000', ...bootstrap]);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /Created topic orders \(3 partition\(s\)/);
    assertOneLineFailure(await seqlog(['topics', 'create', 'orders', ...bootstrap]), /TOPIC_ALREADY_EXISTS/);
    assertOneLineFailure(await seqlog(['topics', 'create', 'kept', '--config', 'cleanup.policy=shred', ...bootstrap]), /INVALID_CONFIG.*cleanup\.policy/);
    // Options before the name, --config repeated: the name is not taken as a config.
    const before = await seqlog(['topics', 'create', '--partitions', '2', '--config', 'retention.ms=7200000', '--config', 'cleanup.policy=compact', 'early', ...bootstrap]);
    assert.equal(before.status, 0, before.stderr);
    assert.match(before.stdout, /Created topic early \(2 partition\(s\)/);
    const earlyConfigs = JSON.parse((await seqlog(['configs', 'describe', '--topic', 'early', '--json', ...bootstrap])).stdout) as { name: string; value: string }[];
    assert.deepEqual(earlyConfigs.map((entry) => [entry.name, entry.value]).sort(), [['cleanup.policy', 'compact'], ['retention.ms', '7200000']]);
    const listed = await seqlog(['topics', 'list', ...bootstrap]);
    assert.match(listed.stdout, /│ orders /);
    assert.doesNotMatch(listed.stdout, /\u001b\[/, 'no colour codes into a pipe');
    const described = JSON.parse((await seqlog(['topics', 'describe', 'orders', '--json', ...bootstrap])).stdout) as { partitions: unknown[] }[];
    assert.equal(described[0].partitions.length, 3);
    assertOneLineFailure(await seqlog(['topics', 'describe', 'missing', ...bootstrap]), /UNKNOWN_TOPIC_OR_PARTITION/);
    const deleted = await seqlog(['topics', 'delete', 'orders', ...bootstrap]);
    assert.equal(deleted.status, 0, deleted.stderr);
    assert.doesNotMatch((await seqlog(['topics', 'list', ...bootstrap])).stdout, /orders/);
  });

  it('configs: describe overrides and --all, alter --set/--delete, usage mistakes exit 2', async () => {
    await seqlog(['topics', 'create', 'conf', '--config', 'retention.ms=3600000', ...bootstrap]);
    const overrides = JSON.parse((await seqlog(['configs', 'describe', '--topic', 'conf', '--json', ...bootstrap])).stdout) as { name: string; value: string }[];
    assert.deepEqual(overrides.map((entry) => [entry.name, entry.value]), [['retention.ms', '3600000']]);
    const altered = await seqlog(['configs', 'alter', '--topic', 'conf', '--set', 'max.message.bytes=2000', '--delete', 'retention.ms', ...bootstrap]);
    assert.equal(altered.status, 0, altered.stderr);
    const after = JSON.parse((await seqlog(['configs', 'describe', '--topic', 'conf', '--json', ...bootstrap])).stdout) as { name: string; value: string }[];
    assert.deepEqual(after.map((entry) => [entry.name, entry.value]), [['max.message.bytes', '2000']]);
    const all = JSON.parse((await seqlog(['configs', 'describe', '--broker', '1', '--all', '--json', ...bootstrap])).stdout) as { name: string }[];
    assert.ok(all.some((entry) => entry.name === 'num.partitions'));
    assertOneLineFailure(await seqlog(['configs', 'alter', '--topic', 'conf', '--set', 'bogus.config=1', ...bootstrap]), /INVALID_CONFIG/);
    assertOneLineFailure(await seqlog(['configs', 'describe', ...bootstrap]), /exactly one of --topic <name>, --broker <id> or --broker-defaults/, 2);
  });

  it('configs: dynamic broker configs per broker and as cluster defaults; a static one is one line', async () => {
    const alteredBroker = await seqlog(['configs', 'alter', '--broker', '1', '--set', 'log.retention.ms=7200000', ...bootstrap]);
    assert.equal(alteredBroker.status, 0, alteredBroker.stderr);
    const alteredDefaults = await seqlog(['configs', 'alter', '--broker-defaults', '--set', 'log.segment.bytes=50000000', ...bootstrap]);
    assert.equal(alteredDefaults.status, 0, alteredDefaults.stderr);
    const dynamic = JSON.parse((await seqlog(['configs', 'describe', '--broker', '1', '--json', ...bootstrap])).stdout) as { name: string; value: string; source: string }[];
    assert.deepEqual(dynamic.map((entry) => [entry.name, entry.value, entry.source]), [['log.retention.ms', '7200000', 'DYNAMIC_BROKER_CONFIG'], ['log.segment.bytes', '50000000', 'DYNAMIC_DEFAULT_BROKER_CONFIG']]);
    const defaults = JSON.parse((await seqlog(['configs', 'describe', '--broker-defaults', '--json', ...bootstrap])).stdout) as { name: string; value: string }[];
    assert.deepEqual(defaults.map((entry) => [entry.name, entry.value]), [['log.segment.bytes', '50000000']]);
    assertOneLineFailure(await seqlog(['configs', 'alter', '--broker', '1', '--set', 'num.partitions=3', ...bootstrap]), /INVALID_REQUEST.*Cannot update these configs dynamically/);
    assert.equal((await seqlog(['configs', 'alter', '--broker', '1', '--delete', 'log.retention.ms', ...bootstrap])).status, 0);
    assert.equal((await seqlog(['configs', 'alter', '--broker-defaults', '--delete', 'log.segment.bytes', ...bootstrap])).status, 0);
  });

  it('groups: list and describe with committed offsets and lag; an unknown group is one line', async () => {
    const admin = new Admin({ bootstrap: broker.bootstrap });
    try {
      await admin.createTopics([{ name: 'lagging', partitions: 1 }]);
      await admin.alterConsumerGroupOffsets('billing', [{ topic: 'lagging', partition: 0, offset: 0n }]);
    } finally {
      await admin.close();
    }
    const listed = JSON.parse((await seqlog(['groups', 'list', '--json', ...bootstrap])).stdout) as { groupId: string; state: string }[];
    assert.deepEqual(listed.map((g) => [g.groupId, g.state]), [['billing', 'Empty']]);
    const described = JSON.parse((await seqlog(['groups', 'describe', 'billing', '--json', ...bootstrap])).stdout) as { state: string; offsets: { committedOffset: string; lag: string }[] };
    assert.equal(described.state, 'Empty');
    assert.deepEqual(described.offsets.map((o) => [o.committedOffset, o.lag]), [['0', '0']]);
    assertOneLineFailure(await seqlog(['groups', 'describe', 'nobody', ...bootstrap]), /GROUP_ID_NOT_FOUND/);
  });

  it('transactions: list and describe an open one; an unknown id is one line', async () => {
    const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'cli-open' });
    try {
      await producer.beginTransaction();
      await producer.send({ topic: 'cli-txn', partition: 0, value: 'pending' });
      const listed = JSON.parse((await seqlog(['transactions', 'list', '--json', ...bootstrap])).stdout) as { transactionalId: string; state: string }[];
      assert.deepEqual(listed.map((t) => [t.transactionalId, t.state]), [['cli-open', 'Ongoing']]);
      const table = await seqlog(['transactions', 'describe', 'cli-open', ...bootstrap]);
      assert.equal(table.status, 0, table.stderr);
      assert.match(table.stdout, /cli-open .*Ongoing.*cli-txn-0/);
      assertOneLineFailure(await seqlog(['transactions', 'describe', 'nobody', ...bootstrap]), /TRANSACTIONAL_ID_NOT_FOUND/);
    } finally {
      await producer.close();
    }
  });
});
