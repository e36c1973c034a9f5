#!/usr/bin/env node
// Runs the test suites on Node's built-in test runner. Node 20 does not discover `.ts` files by itself,
// so this script lists them and passes them explicitly with tsx loaded.
//   node scripts/run-tests.mjs            every suite
//   node scripts/run-tests.mjs unit golden   only the named suites
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const suites = {
  unit: ['src', 'tools'],
  golden: ['test/golden'],
  component: ['test/component'],
  differential: ['test/differential'],
  fault: ['test/fault'],
  interop: ['test/interop'],
  // Packs the package and installs it into an empty project (needs the npm registry; a few minutes).
  package: ['test/package'],
};

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(suites);
const files = [];
for (const name of names) {
  const dirs = suites[name];
  if (!dirs) {
    console.error(`unknown suite '${name}'; known: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  for (const dir of dirs) walk(join(root, dir), files).sort();
}
if (files.length === 0) {
  console.error(`no test files found for: ${names.join(', ')}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// No --test-force-exit: with it, a file's process exits before all of its results reach the runner, and the run
// passes with those tests missing (two files of 108 tests reported 55-85 in half the runs, on Node 20, 22 and 24).
// A file that never exits (a leaked handle; one came from the chaos proxy resetting a socket mid-shutdown, see
// src/testkit/reset-socket.ts) is caught by the watchdog instead: past TEST_RUN_TIMEOUT_MINUTES the whole run
// is killed and fails, naming the files still running.
const timeoutMinutes = Number(process.env.TEST_RUN_TIMEOUT_MINUTES ?? '20');
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], {
  cwd: root,
  stdio: 'inherit',
  // A process group of its own, so the watchdog can stop the test files' processes too.
  detached: true,
});
const watchdog = setTimeout(() => {
  console.error(`\nrun-tests: the run did not end within ${timeoutMinutes} minutes; killing it. Test files still running:`);
  for (const line of testFilesRunning(child.pid)) console.error(`  ${line}`);
  process.kill(-child.pid, 'SIGKILL');
}, timeoutMinutes * 60_000);
// The group is not the terminal's: pass on Ctrl-C and a termination, so that they stop the test files too.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.kill(-child.pid, signal));
child.on('exit', (code, signal) => {
  clearTimeout(watchdog);
  process.exit(code ?? (signal === null ? 1 : 128));
});

/** The command lines of the processes in `pid`'s group that run a test file (Linux /proc; empty elsewhere). */
function testFilesRunning(pid) {
  const found = [];
  let entries = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return found;
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (group !== pid || Number(entry) === pid) continue; // the runner itself names every file
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (command.includes('.test.ts')) found.push(command.trim());
    } catch {
      // The process ended meanwhile.
    }
  }
  return found;
}
