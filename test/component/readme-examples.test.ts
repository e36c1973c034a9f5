// The README's TypeScript examples, run as written: each ```ts block under a heading is extracted, its
// `seqlog/...` imports pointed at the sources, and run in a child process (the embedded broker of the Producing
// example is in this process, so the child must not block it). An example that drifts from the API fails here.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/broker/index.ts';

const root = new URL('../../', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The first ```ts block after `heading`, with its package imports resolved to the sources. */
function example(heading: string): string {
  const at = Math.max(readme.indexOf(`\n## ${heading}\n`), readme.indexOf(`\n### ${heading}\n`));
  assert.ok(at >= 0, `README has no '## ${heading}' or '### ${heading}' section`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block !== null, `no ts block under '${heading}'`);
  return block[1].replace(/from 'seqlog\/(protocol|broker|client|testkit)'/g, (_, entry: string) => `from ${JSON.stringify(join(root, 'src', entry, 'index.ts'))}`);
}

async function run(source: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'seqlog-readme-'));
  try {
    const file = join(dir, 'example.mts');
    writeFileSync(file, source);
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { status, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it('README "Embedding the broker" runs and prints a bootstrap address', async () => {
  const result = await run(example('Embedding the broker'));
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^127\.0\.0\.1:\d+\n$/);
});

it('README "Producing" runs against a broker at the address it names', async () => {
  const source = example('Producing');
  assert.match(source, /'127\.0\.0\.1:9092'/);
  const broker = await startBroker();
  try {
    const result = await run(source.replace("'127.0.0.1:9092'", JSON.stringify(broker.bootstrap)));
    assert.equal(result.status, 0, result.stderr);
  } finally {
    await broker.close();
  }
});

it('README "Testing your own application" runs, injects faults and proves exactly-once', async () => {
  const result = await run(example('Testing your own application for exactly-once'));
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^true \{/, result.stdout);
  assert.match(result.stdout, /acknowledged: 200/);
  assert.match(result.stdout, /duplicates: 0/);
  assert.match(result.stdout, /\[\]\n$/, 'warnings expected empty');
});

it('README "Checking your own transactional pipeline" runs its pipeline and finds every input exactly once', async () => {
  const result = await run(example('Checking your own transactional pipeline'));
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'true 50 {}\n');
});
