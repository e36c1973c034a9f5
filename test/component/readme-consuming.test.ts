// The README's "Consuming" example, run as written (imports pointed at the sources, the broker address at an
// embedded broker): it prints the record produced to 'orders' and exits cleanly on SIGTERM, having committed.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/broker/index.ts';
import { Consumer, Producer } from '../../src/client/index.ts';

const root = new URL('../../', import.meta.url).pathname;

it('README "Consuming" prints what was produced, stops on SIGTERM and commits', { timeout: 120_000 }, async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf('\n## Consuming');
  assert.ok(at >= 0, "README has no '## Consuming' section");
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block !== null);
  assert.match(block[1], /'127\.0\.0\.1:9092'/);
  const broker = await startBroker();
  const dir = mkdtempSync(join(tmpdir(), 'seqlog-readme-consuming-'));
  try {
    const producer = new Producer({ bootstrap: broker.bootstrap });
    await producer.send({ topic: 'orders', key: 'customer-42', value: JSON.stringify({ id: 7, total: 42 }) });
    await producer.close();
    const source = block[1]
      .replace(/from 'seqlog\/client'/g, `from ${JSON.stringify(join(root, 'src', 'client', 'index.ts'))}`)
      .replace("'127.0.0.1:9092'", JSON.stringify(broker.bootstrap));
    const file = join(dir, 'example.mts');
    writeFileSync(file, source);
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const deadline = Date.now() + 60_000;
    while (!stdout.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.equal(stdout, "0 0n customer-42 { id: 7, total: 42 }\n");
    const check = new Consumer({ bootstrap: broker.bootstrap, groupId: 'billing' });
    try {
      assert.deepEqual((await check.committed([{ topic: 'orders', partition: 0 }])).map((c) => c.offset), [1n], 'committed on close');
    } finally {
      await check.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await broker.close();
  }
});
