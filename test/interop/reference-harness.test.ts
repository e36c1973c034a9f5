// The reference harness itself: a test process that dies without cleaning up (SIGKILL) leaves no JVM and no
// temporary directory behind, and runPeer refuses an unknown peer clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../reference/layout.ts';
import { peerCommand } from '../peers/run-peer.ts';
import type { PeerName } from '../peers/run-peer.ts';

function alive(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped by its new parent) counts as gone.
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

test('a reference JVM and its temp dir do not outlive a test process killed with SIGKILL', { timeout: 180_000 }, async () => {
  const holder = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/reference/fixtures/hold-reference-kafka.ts')], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    holder.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    holder.once('exit', (code) => reject(new Error(`fixture exited early (${code}): ${out}`)));
  });
  const { pids, dir } = JSON.parse(line) as { pids: number[]; dir: string };
  assert.equal(pids.length, 1);
  assert.ok(alive(pids[0]), 'the broker JVM should be running before the kill');
  assert.ok(existsSync(dir));

  holder.kill('SIGKILL');
  // The watchdog polls once a second.
  assert.ok(await eventually(() => !alive(pids[0]), 15_000), `JVM ${pids[0]} outlived its test process`);
  assert.ok(await eventually(() => !existsSync(dir), 15_000), `${dir} was left behind`);
});

test('runPeer refuses a peer it does not know', () => {
  assert.throws(() => peerCommand('no-such-peer' as PeerName, []), /unknown peer 'no-such-peer'/);
});
