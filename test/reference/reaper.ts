// Keeps the processes a test starts (reference JVMs, peer programs) from outliving it. Each child runs in its
// own process group; the whole group is killed
// - by the caller (stop/kill), the normal path;
// - on this process's exit or on SIGINT/SIGTERM/SIGHUP, through handlers installed once;
// - when this process dies without running handlers (SIGKILL), by a small watchdog shell per child that polls
//   this process's pid, then kills the group and removes the child's temporary directories.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';

interface Reapable {
  child: ChildProcess;
  watchdog: ChildProcess | undefined;
  /** Removed when this process dies before the child was stopped. */
  dirs: readonly string[];
}

const live = new Set<Reapable>();
let handlersInstalled = false;

const watchdogScript = [
  'parent=$1; group=$2; shift 2',
  'while kill -0 "$parent" 2>/dev/null; do',
  '  kill -0 -- "-$group" 2>/dev/null || exit 0',
  '  sleep 1',
  'done',
  'kill -KILL -- "-$group" 2>/dev/null',
  'rm -rf -- "$@"',
].join('\n');

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Kills every live child group now, synchronously; removes their directories. */
export function reapAll(): void {
  for (const entry of live) {
    killGroup(entry.child.pid, 'SIGKILL');
    killGroup(entry.watchdog?.pid, 'SIGKILL');
    for (const dir of entry.dirs) rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', reapAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      reapAll();
      // Re-raise so the default action (or another listener) still ends the process.
      process.kill(process.pid, signal);
    });
  }
}

/** Spawns `command` in its own process group, reaped as described above. */
export function spawnReaped(command: string, args: readonly string[], options: SpawnOptions & { dirs?: readonly string[] } = {}): ChildProcess {
  installHandlers();
  const { dirs = [], ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, detached: true });
  if (child.pid === undefined) return child; // spawn failed; the 'error' event says why
  const watchdog = spawn('bash', ['-c', watchdogScript, 'seqlog-reaper', String(process.pid), String(child.pid), ...dirs], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  const entry: Reapable = { child, watchdog, dirs };
  live.add(entry);
  child.once('exit', () => {
    live.delete(entry);
    killGroup(watchdog.pid, 'SIGKILL');
  });
  return child;
}

/** Sends `signal` to the child's process group (the child and anything it started). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  killGroup(child.pid, signal);
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM to the group, then SIGKILL if it has not exited within `graceMs`. */
export async function stopGroup(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signalGroup(child, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  const stillRunning = await Promise.race([exited(child).then(() => false), timedOut]);
  clearTimeout(timer);
  if (stillRunning) {
    signalGroup(child, 'SIGKILL');
    await exited(child);
  }
}
