// `seqlog produce` and `seqlog consume` round-trip with kcat (librdkafka) against the seqlog broker: what one
// writes the other reads back with keys, values, headers, partitions and offsets intact. kcat is a required peer:
// the test fails when it is missing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';

const KCAT = '/usr/bin/kcat';

function run(file: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${file} ${args.join(' ')} exited with ${code}: ${stderr}`));
    });
    child.stdin.end(input ?? '');
  });
}

const seqlog = (args: string[], input?: string) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], input);

describe('seqlog produce/consume with kcat', { timeout: 180_000 }, () => {
  let broker: RunningBroker;

  before(async () => {
    assert.ok(existsSync(KCAT), `kcat is a required peer (${KCAT}); install it with scripts/setup-peers.sh`);
    broker = await startBroker({ numPartitions: 3 });
  });

  after(async () => {
    await broker?.close();
  });

  it('seqlog produce -> kcat -C reads every line with its key and headers', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `key${i % 5}:value ${i}`);
    const produced = await seqlog(['produce', 'cli-to-kcat', '-b', broker.bootstrap, '-K', ':', '-H', 'source=seqlog', '-H', 'n=1'], `${lines.join('\n')}\n`);
    assert.match(produced.stderr, /30 record\(s\) produced/);
    const { stdout } = await run(KCAT, ['-C', '-b', broker.bootstrap, '-t', 'cli-to-kcat', '-o', 'beginning', '-e', '-q', '-f', '%p|%o|%k|%s|%h\n']);
    const rows = stdout.trim().split('\n').map((line) => line.split('|'));
    assert.equal(rows.length, 30);
    assert.deepEqual(rows.map((r) => `${r[2]}:${r[3]}`).sort(), [...lines].sort());
    assert.ok(rows.every((r) => r[4] === 'source=seqlog,n=1'), 'headers intact');
    // Same key, same partition (the Java partitioner), offsets dense per partition.
    for (const key of ['key0', 'key1', 'key2', 'key3', 'key4']) assert.equal(new Set(rows.filter((r) => r[2] === key).map((r) => r[0])).size, 1);
    for (const p of new Set(rows.map((r) => r[0]))) {
      assert.deepEqual(rows.filter((r) => r[0] === p).map((r) => Number(r[1])), rows.filter((r) => r[0] === p).map((_, i) => i));
    }
  });

  it('kcat -P -> seqlog consume -e --json and -f read every record', async () => {
    const lines = Array.from({ length: 25 }, (_, i) => `k${i}=v${i}`);
    await run(KCAT, ['-P', '-b', broker.bootstrap, '-t', 'kcat-to-cli', '-p', '1', '-K', '=', '-H', 'from=kcat'], `${lines.join('\n')}\n`);
    const json = await seqlog(['consume', 'kcat-to-cli', '-b', broker.bootstrap, '-e', '--json']);
    const records = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { partition: number; offset: string; key: string; value: string; headers: { key: string; value: string }[] });
    assert.equal(records.length, 25);
    assert.deepEqual(records.map((r) => `${r.key}=${r.value}`), lines);
    assert.deepEqual(records.map((r) => r.offset), lines.map((_, i) => String(i)));
    assert.ok(records.every((r) => r.partition === 1 && r.headers[0]?.key === 'from' && r.headers[0]?.value === 'kcat'));
    const formatted = await seqlog(['consume', 'kcat-to-cli', '-b', broker.bootstrap, '-p', '1', '-o', '-5', '-e', '-f', '%k %s@%o\\n']);
    assert.deepEqual(formatted.stdout.trim().split('\n'), Array.from({ length: 5 }, (_, i) => `k${20 + i} v${20 + i}@${20 + i}`));
  });

  it('seqlog consume --group commits what it printed; a second run starts after it', async () => {
    await seqlog(['produce', 'cli-group', '-b', broker.bootstrap, '-p', '0'], 'a\nb\nc\n');
    const first = await seqlog(['consume', 'cli-group', '-b', broker.bootstrap, '-g', 'cli-g', '-e']);
    assert.deepEqual(first.stdout.trim().split('\n'), ['a', 'b', 'c']);
    await seqlog(['produce', 'cli-group', '-b', broker.bootstrap, '-p', '0'], 'd\n');
    const second = await seqlog(['consume', 'cli-group', '-b', broker.bootstrap, '-g', 'cli-g', '-e']);
    assert.deepEqual(second.stdout.trim().split('\n'), ['d']);
    const { stdout } = await run(KCAT, ['-L', '-b', broker.bootstrap, '-t', 'cli-group']);
    assert.match(stdout, /topic "cli-group" with 3 partitions/);
  });
});
