// The command-line contract every peer program follows, for the two Node peers (the Java, Go and Python peers
// implement the same contract in their own language; see ../README.md):
//   --bootstrap H:P --topic T --count N [--mode all|produce|consume] [--idempotence true|false]
//   [--replication-factor R] [--timeout-ms MS]
// A peer prints exactly one JSON summary line on stdout and exits 1 on any error or a wrong count.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type PeerMode = 'all' | 'produce' | 'consume';

export interface PeerOptions {
  bootstrap: string;
  topic: string;
  count: number;
  mode: PeerMode;
  idempotence: boolean;
  replicationFactor: number;
  timeoutMs: number;
  /** Absolute time (Date.now()) after which the peer gives up. */
  deadline: number;
}

export type Summary = Record<string, string | number | boolean>;

export function parsePeerArgs(argv: readonly string[]): PeerOptions {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    const value = argv[i + 1];
    if (name === undefined || !name.startsWith('--') || value === undefined) throw new Error(`bad argument ${name}`);
    args.set(name.slice(2), value);
  }
  const required = (name: string): string => {
    const value = args.get(name);
    if (value === undefined) throw new Error(`missing --${name}`);
    return value;
  };
  const mode = args.get('mode') ?? 'all';
  if (mode !== 'all' && mode !== 'produce' && mode !== 'consume') throw new Error(`unknown --mode ${mode}`);
  const count = Number(required('count'));
  if (!Number.isInteger(count) || count < 0) throw new Error(`bad --count ${args.get('count')}`);
  const timeoutMs = Number(args.get('timeout-ms') ?? '60000');
  return {
    bootstrap: required('bootstrap'),
    topic: required('topic'),
    count,
    mode,
    idempotence: (args.get('idempotence') ?? 'true') === 'true',
    replicationFactor: Number(args.get('replication-factor') ?? '1'),
    timeoutMs,
    deadline: Date.now() + timeoutMs,
  };
}

/** Record values are `<peer>-<kind>-<i>`; a reader recognises aborted records by their `-abort-` kind. */
export function recordValues(peer: string, kind: 'idem' | 'plain' | 'abort' | 'commit', count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${peer}-${kind}-${i}`);
}

/** Returns undefined when a read_committed read is right, or what is wrong with it. */
export function verifyRead(seen: readonly (string | null)[], expected: number, wanted?: readonly string[]): string | undefined {
  const unique = new Set<string>();
  for (const value of seen) {
    if (value === null) return 'a record with a null value';
    if (value.includes('-abort-')) return `read an aborted record: ${value}`;
    if (unique.has(value)) return `duplicate record: ${value}`;
    unique.add(value);
  }
  if (seen.length !== expected) return `expected ${expected} records, read ${seen.length}`;
  if (wanted !== undefined && wanted.some((value, i) => seen[i] !== value)) return 'records out of order or unexpected';
  return undefined;
}

/** The installed version of a package, read from the package.json above its entry point (some packages do not
 *  export their package.json). */
export function packageVersion(name: string): string {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve(name));
    while (dir !== dirname(dir)) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg: unknown = JSON.parse(readFileSync(file, 'utf8'));
        if (typeof pkg === 'object' && pkg !== null && 'name' in pkg && pkg.name === name && 'version' in pkg) {
          return String(pkg.version);
        }
      }
      dir = dirname(dir);
    }
  } catch {
    // An unknown version must not fail the peer.
  }
  return 'unknown';
}

/** How a peer produces and reads; `runPeerProgram` drives the modes and the verification. */
export interface PeerClient {
  createTopic(options: PeerOptions): Promise<void>;
  produce(options: PeerOptions, values: string[], idempotent: boolean): Promise<void>;
  /** Absent when the client cannot run transactions. */
  transact?(options: PeerOptions, aborted: string[], committed: string[]): Promise<void>;
  /** Reads the topic from the beginning with read_committed isolation; stops once `expected` are read and
   *  nothing more arrives for a short while, or at the deadline. */
  consume(options: PeerOptions, expected: number): Promise<(string | null)[]>;
}

export async function runPeerProgram(peer: string, client: string, impl: PeerClient): Promise<never> {
  const started = Date.now();
  const summary: Summary = { peer };
  let status = 0;
  try {
    const options = parsePeerArgs(process.argv.slice(2));
    summary.mode = options.mode;
    summary.topic = options.topic;
    await withDeadline(runModes(peer, options, impl, summary), options.deadline);
    summary.ok = true;
  } catch (error) {
    summary.ok = false;
    summary.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    status = 1;
  }
  summary.client = client;
  summary.elapsedMs = Date.now() - started;
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  // Clients may keep sockets or timers open after a failure; the summary is the last word.
  process.exit(status);
}

async function runModes(peer: string, options: PeerOptions, impl: PeerClient, summary: Summary): Promise<void> {
  const { mode, count } = options;
  const transactions = mode === 'all' && impl.transact !== undefined;
  const idempotent = mode === 'all' || (mode === 'produce' && options.idempotence);
  summary.idempotent = idempotent;
  summary.transactions = transactions;
  if (mode !== 'consume') {
    await impl.createTopic(options);
    await impl.produce(options, recordValues(peer, idempotent ? 'idem' : 'plain', count), idempotent);
    summary.produced = count;
  }
  if (transactions && impl.transact) {
    await impl.transact(options, recordValues(peer, 'abort', count), recordValues(peer, 'commit', count));
    summary.aborted = count;
    summary.committed = count;
  }
  if (mode !== 'produce') {
    const wanted = mode === 'all'
      ? [...recordValues(peer, 'idem', count), ...(transactions ? recordValues(peer, 'commit', count) : [])]
      : undefined;
    const expected = wanted?.length ?? count;
    const seen = await impl.consume(options, expected);
    summary.consumed = seen.length;
    summary.expected = expected;
    const problem = verifyRead(seen, expected, wanted);
    if (problem !== undefined) throw new Error(problem);
  }
}

async function withDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('peer timed out')), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once `count()` has reached `expected` and stayed put for `lingerMs`, so late extras are caught.
 *  Rejects at the deadline, or as soon as `failure()` returns an error (e.g. the consumer crashed). */
export async function settle(
  count: () => number,
  expected: number,
  deadline: number,
  failure: () => Error | undefined = () => undefined,
  lingerMs = 1000,
): Promise<void> {
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    const error = failure();
    if (error) throw error;
    const now = count();
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    }
    if (now >= expected && Date.now() - stableSince >= lingerMs) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out consuming; read ${count()} of ${expected} records`);
}
