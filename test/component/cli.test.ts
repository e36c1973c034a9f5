// The `seqlog` command as a new user meets it: `serve` on a data dir that does not exist yet, and every failure a
// first hour runs into (port in use, locked data dir, unknown topic, nothing listening) printed as one line that
// says what to do, with a non-zero exit status and no stack trace. Runs the CLI's sources in a child process.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/broker/index.ts';
import { Producer } from '../../src/client/index.ts';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** Runs the CLI without blocking this process's event loop (the in-process broker must keep answering). */
function seqlog(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

/** One line on stderr, no stack frames. */
function assertOneLine(stderr: string): void {
  assert.equal(stderr.trim().split('\n').length, 1, `expected one line, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at /m);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it('`seqlog serve --data <new dir>` creates the directory and serves until SIGTERM', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'seqlog-cli-'));
  const dataDir = join(parent, 'fresh', 'data');
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', main, 'serve', '--port', '0', '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('seqlog broker ready')) resolve();
      });
      void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    assert.ok(existsSync(join(dataDir, '.lock')));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

it('`seqlog serve` on a port in use and on a locked data dir: one line each, exit 1', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-cli-'));
  const otherDir = mkdtempSync(join(tmpdir(), 'seqlog-cli-'));
  const broker = await startBroker({ dataDir });
  try {
    const portInUse = await seqlog(['serve', '--port', String(broker.port), '--data', otherDir]);
    assert.equal(portInUse.status, 1);
    assertOneLine(portInUse.stderr);
    assert.match(portInUse.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${broker.port}: the port is in use.*--port`));

    const locked = await seqlog(['serve', '--port', '0', '--data', dataDir]);
    assert.equal(locked.status, 1);
    assertOneLine(locked.stderr);
    assert.match(locked.stderr, /is in use by process \d+.*--data/);
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(otherDir, { recursive: true, force: true });
  }
});

it('`seqlog producers`: unknown topic and refused connection are one line; a table into a pipe has no colour codes', async () => {
  const broker = await startBroker();
  try {
    const unknown = await seqlog(['producers', 'no-such-topic', '--bootstrap', broker.bootstrap]);
    assert.equal(unknown.status, 1);
    assertOneLine(unknown.stderr);
    assert.match(unknown.stderr, /topic 'no-such-topic' does not exist .*UNKNOWN_TOPIC_OR_PARTITION/);

    const producer = new Producer({ bootstrap: broker.bootstrap });
    await producer.send({ topic: 'orders', value: 'x' });
    await producer.close();
    const listed = await seqlog(['producers', 'orders', '--bootstrap', broker.bootstrap]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /1 producer\(s\) on 1 partition\(s\) of 'orders'/);
    assert.doesNotMatch(listed.stdout, /\u001b\[/, 'ANSI escape codes in piped output');
  } finally {
    await broker.close();
  }
  const port = await closedPort();
  const refused = await seqlog(['producers', 'orders', '--bootstrap', `127.0.0.1:${port}`]);
  assert.equal(refused.status, 1);
  assertOneLine(refused.stderr);
  assert.match(refused.stderr, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: connection refused.*seqlog serve`));
});

it('`seqlog verify --help`: a quick default run, and no pointer at a script the package does not ship', async () => {
  const help = await seqlog(['verify', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--records <n>[\s\S]*\(default:\s+"5000"\)/);
  assert.doesNotMatch(help.stdout, /scripts\//);
});
