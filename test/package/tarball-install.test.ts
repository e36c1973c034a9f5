// The first hour of a user, from the packed package: `npm pack` this repository, install the tarball into an empty
// project with no C compiler on PATH (its dependencies come from the npm registry), compile a strict TypeScript app
// against the installed types, and run it with plain node: it embeds the broker, produces with every codec, reads
// the records back and must exit by itself with status 0. Then, with a codec's package removed from the install,
// `seqlog/protocol` and `seqlog/client` still load and only batches using that codec fail, with
// UNSUPPORTED_COMPRESSION_TYPE.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const repo = new URL('../..', import.meta.url).pathname;
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
const npmCli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');

let work: string;
let project: string;
/** PATH holding node, npm and a shell, and nothing that compiles C. */
let bareEnv: NodeJS.ProcessEnv;

function run(command: string, args: readonly string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = bareEnv): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return result;
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  assert.equal(result.status, 0, `${what} failed (status ${result.status}, signal ${result.signal}):\n${result.stdout}\n${result.stderr}`);
  return `${result.stdout}\n${result.stderr}`;
}

const app = `
import { startBroker } from 'seqlog/broker';
import { BrokerConnection, Producer, type CompressionName } from 'seqlog/client';
import { ApiKey, CompressionType, iterateRecordBatches } from 'seqlog/protocol';

const codecs: readonly CompressionName[] = ['gzip', 'snappy', 'lz4', 'zstd'];
const broker = await startBroker();
try {
  for (const compression of codecs) {
    const producer = new Producer({ bootstrap: broker.bootstrap, compression });
    const topic = 'orders-' + compression;
    try {
      await producer.send(Array.from({ length: 50 }, (_, i) => ({ topic, partition: 0, key: 'k' + i, value: JSON.stringify({ i, compression }) })));
    } finally {
      await producer.close();
    }
    const connection = await BrokerConnection.open({ host: broker.host, port: broker.port });
    try {
      await connection.negotiateApiVersions();
      const answer = await connection.send(ApiKey.Fetch, 12, {
        clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1n }, maxWaitMs: 0, minBytes: 0,
        maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
        forgottenTopicsData: [], rackId: '',
      });
      const records = answer.responses[0]?.partitions[0]?.records ?? Buffer.alloc(0);
      const values: string[] = [];
      for (const batch of iterateRecordBatches(records)) {
        if (batch.compression !== CompressionType[compression]) throw new Error(topic + ': stored with codec ' + batch.compression);
        for (const record of batch.records) values.push(record.value?.toString() ?? '');
      }
      const expected = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, compression }));
      if (JSON.stringify(values) !== JSON.stringify(expected)) throw new Error(topic + ': read back ' + JSON.stringify(values));
      console.log(compression + ': ' + values.length + ' records read back');
    } finally {
      connection.close();
    }
  }
} finally {
  await broker.close();
}
`;

const withoutSnappy = `
import { Producer } from 'seqlog/client';
import { codecFor, CompressionType, RecordBatchError, ErrorCode } from 'seqlog/protocol';

if (typeof Producer !== 'function') throw new Error('seqlog/client did not load');
const data = Buffer.from('the same bytes, twice: the same bytes, twice');
if (!codecFor(CompressionType.gzip).decompress(codecFor(CompressionType.gzip).compress(data)).equals(data)) throw new Error('gzip');
codecFor(CompressionType.gzip).ensureAvailable();
codecFor(CompressionType.zstd).ensureAvailable();
try {
  codecFor(CompressionType.snappy).ensureAvailable();
  throw new Error('snappy reported available without its package');
} catch (error) {
  if (!(error instanceof RecordBatchError) || error.code !== ErrorCode.UNSUPPORTED_COMPRESSION_TYPE) throw error;
}
try {
  codecFor(CompressionType.snappy).compress(data);
  throw new Error('snappy compressed without its package');
} catch (error) {
  if (!(error instanceof RecordBatchError) || error.code !== ErrorCode.UNSUPPORTED_COMPRESSION_TYPE) throw error;
  console.log('snappy: ' + error.message);
}
`;

describe('the packed package installs from the registry alone and runs a strict TypeScript app', { timeout: 900_000 }, () => {
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'seqlog-tarball-'));
    const bin = join(work, 'bin');
    mkdirSync(bin);
    for (const tool of ['node', 'sh', 'env']) {
      const found = run('/bin/sh', ['-c', `command -v ${tool}`], work, 10_000, process.env).stdout.trim();
      assert.ok(found, `${tool} is on the machine`);
      symlinkSync(found, join(bin, tool));
    }
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, { mode: 0o755 });
    bareEnv = { HOME: process.env.HOME, PATH: bin, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
    project = join(work, 'app');
    mkdirSync(project);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('has no C compiler or make on the PATH it installs with', () => {
    for (const tool of ['cc', 'gcc', 'make', 'c++', 'g++']) {
      const found = run('/bin/sh', ['-c', `command -v ${tool} || true`], work, 10_000).stdout.trim();
      assert.equal(found, '', `${tool} must not be found`);
    }
  });

  it('packs, installs without warnings of ours, compiles strict TypeScript and runs to a clean exit', () => {
    const packed = ok(run(process.execPath, [npmCli, 'pack', '--silent', '--pack-destination', work], repo, 300_000, { ...process.env, npm_config_update_notifier: 'false' }), 'npm pack');
    const tarball = readdirSync(work).find((name) => name.startsWith('seqlog-') && name.endsWith('.tgz'));
    assert.ok(tarball, `a tarball was written: ${packed}`);

    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'first-hour-app', private: true, type: 'module' }, null, 2));
    const installed = ok(run('npm', ['install', '--no-audit', '--no-fund', join(work, tarball)], project, 600_000), 'npm install of the tarball');
    const ours = installed.split('\n').filter((line) => /unknown (project |user |builtin )?config|build-from-source|install-scripts|allowScripts|node-gyp|prebuild/i.test(line));
    assert.deepEqual(ours, [], `npm install printed:\n${installed}`);

    writeFileSync(join(project, 'app.ts'), app);
    writeFileSync(join(project, 'no-snappy.ts'), withoutSnappy);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: false, outDir: 'out', types: ['node'], typeRoots: [join(repo, 'node_modules', '@types')] },
        files: ['app.ts', 'no-snappy.ts'],
      }),
    );
    ok(run(process.execPath, [tsc, '-p', 'tsconfig.json'], project, 300_000), 'tsc (strict) against the installed types');

    const ran = run(process.execPath, ['out/app.js'], project, 120_000);
    ok(ran, 'node out/app.js');
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) assert.match(ran.stdout, new RegExp(`${codec}: 50 records read back`));
    assert.equal(ran.signal, null, 'exited by itself, nothing kept the event loop alive');
  });

  it('without a codec package, the entry points load and only that codec fails with UNSUPPORTED_COMPRESSION_TYPE', () => {
    rmSync(join(project, 'node_modules', 'snappy'), { recursive: true, force: true });
    for (const name of readdirSync(join(project, 'node_modules', '@napi-rs')).filter((n) => n.startsWith('snappy-'))) {
      rmSync(join(project, 'node_modules', '@napi-rs', name), { recursive: true, force: true });
    }
    const ran = ok(run(process.execPath, ['out/no-snappy.js'], project, 60_000), 'node out/no-snappy.js');
    assert.match(ran, /snappy: snappy compression is unavailable: package 'snappy' could not be loaded/);
  });
});
