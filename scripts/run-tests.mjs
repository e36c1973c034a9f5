#!/usr/bin/env node
// Runs the test suites on Node's built-in test runner. Node 20 does not discover `.ts` files by itself,
// so this script lists them and passes them explicitly with tsx loaded.
//   node scripts/run-tests.mjs            every suite
//   node scripts/run-tests.mjs unit golden   only the named suites
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

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
// --test-force-exit: each file's process exits as soon as its tests are done. Without it, a test that times out
// leaves what it started (a broker, a peer process, a retrying client) keeping the process alive, and the run waits
// forever instead of reporting the failure; so does a handle Node cannot close at exit (one such hang came from the
// chaos proxy resetting a socket mid-shutdown, see src/testkit/reset-socket.ts).
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-force-exit', `--test-concurrency=${concurrency}`, ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
