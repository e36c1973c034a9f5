// Runs one of the interop peer programs (real Kafka clients, see README.md) against any bootstrap address:
// the reference Apache Kafka in test/interop, seqlog's broker elsewhere. Peers speak only the Kafka protocol.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { binDir, javaExecutable, javaPeerClassesDir, kafkaClasspath, kafkaLibsDir, repoRoot, setupHint, venvPython } from '../reference/layout.ts';
import { exited, spawnReaped, stopGroup } from '../reference/reaper.ts';

export const peerNames = ['java', 'kcat', 'python-debian', 'python-pypi', 'franz-go', 'kafkajs', 'platformatic'] as const;
export type PeerName = (typeof peerNames)[number];

export type PeerMode = 'all' | 'produce' | 'consume';

export interface PeerCapabilities {
  /** The client library under the peer. */
  library: string;
  /** How the peer's aborted transaction comes about in mode `all`. */
  abort: 'api' | 'fencing';
  /** Whether the peer creates its topic with the admin API (else the broker auto-creates it on Metadata). */
  createsTopic: boolean;
  /** Whether its reader joins a consumer group (else it assigns partitions by hand). */
  consumerGroup: boolean;
}

export const peerCapabilities: Readonly<Record<PeerName, PeerCapabilities>> = {
  java: { library: 'Apache Kafka kafka-clients 4.4.0', abort: 'api', createsTopic: true, consumerGroup: false },
  // kcat commits one transaction per run at end of input and cannot abort; see kcat/kcat-peer.sh.
  kcat: { library: "librdkafka 2.0.2 via Debian's kcat 1.7.1", abort: 'fencing', createsTopic: false, consumerGroup: false },
  // librdkafka's consumer needs a group.id in confluent-kafka 1.x but never joins: partitions are assigned by hand.
  'python-debian': { library: "librdkafka 2.0.2 via Debian's python3-confluent-kafka 1.7.0", abort: 'api', createsTopic: true, consumerGroup: false },
  'python-pypi': { library: "librdkafka 2.x via PyPI's confluent-kafka (.cache/venv)", abort: 'api', createsTopic: true, consumerGroup: false },
  'franz-go': { library: 'franz-go v1.22.x (kgo, kadm)', abort: 'api', createsTopic: true, consumerGroup: false },
  kafkajs: { library: 'KafkaJS 2.2.4', abort: 'api', createsTopic: true, consumerGroup: true },
  platformatic: { library: '@platformatic/kafka 1.x', abort: 'api', createsTopic: true, consumerGroup: true },
};

export interface PeerRunOptions {
  bootstrap: string;
  topic: string;
  /** Records per step: produced in `produce`, each of idempotent/aborted/committed in `all`, expected in `consume`. */
  count: number;
  mode?: PeerMode;
  /** `produce` mode only: idempotent producer or not. Default true. */
  idempotence?: boolean;
  /** Replication factor of the topic the peer creates. Default 1. */
  replicationFactor?: number;
  /** The peer's own deadline; the process is killed 15 s after it. Default 60 s. */
  timeoutMs?: number;
}

/** The one JSON line a peer prints. Counts are present for the steps its mode ran. */
export interface PeerSummary {
  peer: string;
  client: string;
  mode: PeerMode;
  topic: string;
  ok: boolean;
  error?: string;
  idempotent?: boolean;
  transactions?: boolean;
  produced?: number;
  aborted?: number;
  committed?: number;
  consumed?: number;
  expected?: number;
  elapsedMs: number;
}

export interface PeerRun {
  name: PeerName;
  command: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Parsed from the last stdout line that is a JSON object; undefined if there is none. */
  summary: PeerSummary | undefined;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export class PeerNotInstalledError extends Error {
  constructor(name: PeerName, what: string) {
    super(`peer '${name}' is not installed: ${what} is missing; ${setupHint}`);
    this.name = 'PeerNotInstalledError';
  }
}

interface Command {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

function requirePath(name: PeerName, path: string): void {
  if (!existsSync(path)) throw new PeerNotInstalledError(name, path);
}

/** The command line for a peer; throws PeerNotInstalledError when what it needs is not installed. */
export function peerCommand(name: PeerName, contractArgs: string[]): Command {
  const peersDir = join(repoRoot, 'test', 'peers');
  switch (name) {
    case 'java':
      requirePath(name, join(javaPeerClassesDir, 'Peer.class'));
      requirePath(name, kafkaLibsDir);
      return {
        file: javaExecutable(),
        args: [
          '-Xmx256m',
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          `-Dlog4j2.configurationFile=${join(peersDir, 'java', 'log4j2.properties')}`,
          '-cp',
          `${javaPeerClassesDir}:${kafkaClasspath}`,
          'Peer',
          ...contractArgs,
        ],
      };
    case 'kcat':
      requirePath(name, '/usr/bin/kcat');
      return { file: 'bash', args: [join(peersDir, 'kcat', 'kcat-peer.sh'), ...contractArgs] };
    case 'python-debian':
      requirePath(name, '/usr/lib/python3/dist-packages/confluent_kafka');
      return { file: '/usr/bin/python3', args: [join(peersDir, 'python', 'peer.py'), '--peer-name', name, ...contractArgs], env: { PYTHONDONTWRITEBYTECODE: '1' } };
    case 'python-pypi':
      requirePath(name, venvPython);
      return { file: venvPython, args: [join(peersDir, 'python', 'peer.py'), '--peer-name', name, ...contractArgs], env: { PYTHONDONTWRITEBYTECODE: '1' } };
    case 'franz-go':
      requirePath(name, join(binDir, 'franz-peer'));
      return { file: join(binDir, 'franz-peer'), args: contractArgs };
    case 'kafkajs':
    case 'platformatic':
      requirePath(name, join(repoRoot, 'node_modules', name === 'kafkajs' ? 'kafkajs' : '@platformatic/kafka', 'package.json'));
      return { file: process.execPath, args: ['--import', 'tsx', join(peersDir, 'node', `${name}-peer.ts`), ...contractArgs] };
    default:
      throw new Error(`unknown peer '${String(name)}'; known: ${peerNames.join(', ')}`);
  }
}

function contractArgs(options: PeerRunOptions): string[] {
  return [
    '--bootstrap', options.bootstrap,
    '--topic', options.topic,
    '--count', String(options.count),
    '--mode', options.mode ?? 'all',
    '--idempotence', String(options.idempotence ?? true),
    '--replication-factor', String(options.replicationFactor ?? 1),
    '--timeout-ms', String(options.timeoutMs ?? 60_000),
  ];
}

function parseSummary(stdout: string): PeerSummary | undefined {
  const lines = stdout.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const value: unknown = JSON.parse(lines[i]);
      if (typeof value === 'object' && value !== null && 'peer' in value && 'ok' in value) return value as PeerSummary;
    } catch {
      // Not the summary.
    }
  }
  return undefined;
}

/** Runs a peer to completion. Resolves whatever the outcome; use assertPeerSucceeded to check it. Rejects only
 *  when the peer is not installed (PeerNotInstalledError) or cannot be started. */
export async function runPeer(name: PeerName, options: PeerRunOptions): Promise<PeerRun> {
  const command = peerCommand(name, contractArgs(options));
  const started = performance.now();
  const child = spawnReaped(command.file, command.args, {
    cwd: repoRoot,
    env: { ...process.env, ...command.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const spawnError = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`cannot start peer '${name}': ${error.message}`))));
  const backstop = setTimeout(() => void stopGroup(child, 2000), (options.timeoutMs ?? 60_000) + 15_000);
  try {
    await Promise.race([exited(child), spawnError]);
    // The exit event can come before the last output; wait for the pipes to close.
    await Promise.all([child.stdout, child.stderr].map((stream) => (stream && !stream.closed ? new Promise((resolve) => stream.once('close', resolve)) : undefined)));
  } finally {
    clearTimeout(backstop);
  }
  return {
    name,
    command: [command.file, ...command.args],
    exitCode: child.exitCode,
    signal: child.signalCode,
    summary: parseSummary(stdout),
    stdout,
    stderr,
    wallMs: Math.round(performance.now() - started),
  };
}

/** The counts a successful run of `options` reports. */
export function expectedCounts(options: PeerRunOptions): Partial<PeerSummary> {
  const mode = options.mode ?? 'all';
  const n = options.count;
  if (mode === 'produce') return { produced: n, idempotent: options.idempotence ?? true };
  if (mode === 'consume') return { consumed: n, expected: n };
  return { produced: n, aborted: n, committed: n, consumed: 2 * n, expected: 2 * n, idempotent: true, transactions: true };
}

/** Asserts exit 0, ok:true and the expected counts, with the peer's output in the failure message. */
export function assertPeerSucceeded(run: PeerRun, options: PeerRunOptions): PeerSummary {
  const context = `peer '${run.name}' (exit ${run.exitCode}${run.signal ? `, ${run.signal}` : ''})\nstdout: ${run.stdout.trim()}\nstderr (tail): ${run.stderr.trim().split('\n').slice(-15).join('\n')}`;
  assert.ok(run.summary, `no JSON summary from ${context}`);
  assert.equal(run.summary.ok, true, `${run.summary.error ?? 'not ok'}: ${context}`);
  assert.equal(run.exitCode, 0, context);
  assert.equal(run.summary.mode, options.mode ?? 'all', context);
  assert.equal(run.summary.topic, options.topic, context);
  for (const [key, value] of Object.entries(expectedCounts(options))) {
    assert.equal(run.summary[key as keyof PeerSummary], value, `${key}: ${context}`);
  }
  return run.summary;
}
