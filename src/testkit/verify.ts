// `verifyExactlyOnce`: the exactly-once demonstration behind `seqlog verify`. It produces N unique records through
// the chaos proxy under a seeded fault schedule — lost acks, cut connections, delayed answers and, with the
// embedded broker, crashes and restarts — once with idempotence off and once on, then reads every partition back
// and runs the history checker. Without idempotence a lost ack turns into a duplicate when the client retries;
// with it the broker answers the retry with the original offset, so the log holds every record exactly once.
import { BrokerConnection, Producer } from '../client/index.ts';
import { ApiKey } from '../protocol/messages/generated/index.ts';
import { errorName } from '../protocol/errors/index.ts';
import type { BrokerMutations } from './broker-mutations.ts';
import { ChaosFault, ChaosProxy, type ChaosRule } from './chaos-proxy.ts';
import { checkHistory, type CheckResult } from './checker.ts';
import { EmbeddedBroker } from './embedded-broker.ts';
import { History } from './history.ts';
import { readLog } from './log-reader.ts';
import { mulberry32 } from './random.ts';

/**
 * Records per run by default: enough for a hundred-odd injected faults and both broker crashes, few enough that the
 * first command a user runs finishes in seconds. 100,000 makes the long run.
 */
export const defaultVerifyRecords = 5000;

/** The part of the client's `Producer` that the workload uses. */
export interface VerifyProducer {
  send(record: { topic: string; value: string; partition?: number }): Promise<{ partition: number; offset: bigint }>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface VerifyProducerOptions {
  readonly bootstrap: string;
  readonly idempotent: boolean;
  readonly clientId: string;
}

export type VerifyProducerFactory = (options: VerifyProducerOptions) => VerifyProducer | Promise<VerifyProducer>;

export interface VerifyProgress {
  readonly idempotent: boolean;
  /** Sends completed (acked or failed). */
  readonly completed: number;
  readonly total: number;
  readonly faults: number;
}

export interface VerifyOptions {
  /** Records per run. Default `defaultVerifyRecords` (5,000). */
  readonly records?: number;
  /** Seed of the fault schedule. Default 1. */
  readonly seed?: number;
  /** Partitions of the test topic. Default 3. */
  readonly partitions?: number;
  /** Target an existing Kafka (any) instead of an embedded seqlog broker; broker crashes are then skipped. */
  readonly bootstrap?: string;
  /** Which runs (they run at the same time; results come in this order). Default: idempotence off, then on. */
  readonly modes?: readonly boolean[];
  /** Broker crashes (with restart) per run, embedded broker only. Default 2. */
  readonly crashes?: number;
  /** Fault rates per Produce request. */
  readonly faultRates?: Partial<Record<'lostAck' | 'cutRequest' | 'cutResponse' | 'delay', number>>;
  /** Sends outstanding at once. Default 500. */
  readonly window?: number;
  /** Default: the client's `Producer`. */
  readonly producerFactory?: VerifyProducerFactory;
  /** Embedded broker only, for the testkit's own mutation tests. */
  readonly brokerMutations?: BrokerMutations;
  readonly onProgress?: (progress: VerifyProgress) => void;
  /** Where to write each run's history (JSON Lines), `<dir>/history-idempotence-<on|off>.jsonl`. */
  readonly historyDir?: string;
}

export interface VerifyRunResult {
  readonly idempotent: boolean;
  readonly topic: string;
  readonly sent: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly stored: number;
  readonly duplicates: number;
  readonly lost: number;
  readonly outOfOrder: number;
  readonly faultsInjected: number;
  readonly faultsByKind: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /** Acknowledged records per second. */
  readonly throughput: number;
  readonly check: CheckResult;
}

export interface VerifyResult {
  readonly runs: readonly VerifyRunResult[];
  /** True when every run with idempotence on was hit by faults and still shows no anomaly (`check.proved`). */
  readonly ok: boolean;
  readonly seed: number;
}

/** The longest answer delay the default schedule injects (`faultRules`). */
const MAX_INJECTED_DELAY_MS = 200;

/**
 * The client's timeouts and backoffs sized to this run's faults rather than to a production network, so that the run
 * lasts as long as the faults force it to and no longer:
 * - every lost or cut answer resets the connection, so nothing waits out request.timeout.ms; it only has to exceed the
 *   longest injected delay (a delayed answer must not be mistaken for a lost one) with room for a busy machine;
 * - a reset fails the batches of every request in flight (up to five), so batches collect retries quickly, and
 *   Kafka's exponential retry backoff (100 ms doubling to 1 s) would grow into the dominant cost: a few
 *   milliseconds, capped low, still paces retries against a broker that answers with an error;
 * - reconnect.backoff (Kafka: 50 ms doubling to 1 s, jittered) decides how long after a broker restart the client
 *   notices it; capped at 50 ms it loses at most that much per crash.
 */
const verifyProducerTimeouts = {
  requestTimeoutMs: MAX_INJECTED_DELAY_MS + 1000,
  retryBackoffMs: 2,
  retryBackoffMaxMs: 20,
  reconnectBackoffMs: 5,
  reconnectBackoffMaxMs: 50,
  deliveryTimeoutMs: 120_000,
} as const;

function defaultProducerFactory(options: VerifyProducerOptions): VerifyProducer {
  // batch.size stays small and linger.ms 0: the proxy's faults are per request, and many requests make many faults.
  return new Producer({ bootstrap: options.bootstrap, clientId: options.clientId, idempotent: options.idempotent, acks: 'all', lingerMs: 0, batchSize: 160, ...verifyProducerTimeouts });
}

function parseHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const connection = await BrokerConnection.open({ ...parseHostPort(bootstrap), clientId: 'seqlog-verify' });
  try {
    const response = await connection.send(ApiKey.CreateTopics, 5, {
      topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30000,
      validateOnly: false,
    });
    const code = response.topics[0]?.errorCode ?? -1;
    if (code !== 0) throw new Error(`creating topic ${topic} failed: ${errorName(code)}`);
  } finally {
    connection.close();
  }
}

function faultRules(rates: VerifyOptions['faultRates']): ChaosRule[] {
  const produce = [ApiKey.Produce];
  return [
    { fault: ChaosFault.dropResponse, apiKeys: produce, probability: rates?.lostAck ?? 0.1, closeClient: true },
    { fault: ChaosFault.cutRequest, apiKeys: produce, probability: rates?.cutRequest ?? 0.01 },
    { fault: ChaosFault.cutResponse, apiKeys: produce, probability: rates?.cutResponse ?? 0.01 },
    { fault: ChaosFault.delayResponse, apiKeys: produce, probability: rates?.delay ?? 0.02, delayMs: [20, MAX_INJECTED_DELAY_MS] },
  ];
}

async function runOnce(options: VerifyOptions, idempotent: boolean, seed: number): Promise<VerifyRunResult> {
  const total = options.records ?? defaultVerifyRecords;
  const partitions = options.partitions ?? 3;
  const mode = idempotent ? 'on' : 'off';
  const topic = `seqlog-verify-${seed}-${mode}-${Date.now().toString(36)}`;
  const history = new History();
  const embedded = options.bootstrap === undefined;
  // The proxy must exist before the broker so the broker can advertise it.
  const proxyTarget = { host: '127.0.0.1', port: 0 };
  const proxy = await ChaosProxy.start({ target: proxyTarget, seed, rewriteMetadata: !embedded });
  let broker: EmbeddedBroker | null = null;
  let producer: VerifyProducer | null = null;
  try {
    if (embedded) {
      broker = await EmbeddedBroker.start({ advertisedHost: proxy.host, advertisedPort: proxy.port, fsync: 'interval', ...(options.brokerMutations === undefined ? {} : { mutations: options.brokerMutations }) });
    }
    const direct = broker?.bootstrap ?? options.bootstrap!;
    Object.assign(proxyTarget, parseHostPort(direct));
    await createTopic(direct, topic, partitions);

    proxy.setRules(faultRules(options.faultRates));
    const factory = options.producerFactory ?? defaultProducerFactory;
    producer = await factory({ bootstrap: proxy.address, idempotent, clientId: `seqlog-verify-${mode}` });

    const random = mulberry32(seed ^ 0x5eed);
    const crashes = embedded ? (options.crashes ?? 2) : 0;
    // Crash points: spread over the middle of the run, jittered by the seed.
    const crashAt = Array.from({ length: crashes }, (_, i) => Math.floor(((i + 1) / (crashes + 1) + (random() - 0.5) / (crashes + 2)) * total)).sort((a, b) => a - b);
    let crashInProgress: Promise<void> | null = null;
    const window = options.window ?? 300;
    let completed = 0;
    let issued = 0;
    const started = performance.now();
    let lastProgress = 0;
    const progress = (): void => {
      options.onProgress?.({ idempotent, completed, total, faults: proxy.stats().totalFaults + (broker?.crashes ?? 0) });
    };

    await new Promise<void>((resolveAll) => {
      const next = (): void => {
        while (issued < total && issued - completed < window) {
          const n = issued++;
          const value = `${mode}-p0:${n}`;
          const partition = n % partitions;
          const op = history.invokeSend('p0', topic, value, partition);
          producer!
            .send({ topic, value, partition })
            .then(
              (meta) => history.ok(op, meta.partition, meta.offset),
              (error: unknown) => {
                const e = error as { code?: number | string; errorName?: string; name?: string; message?: string };
                // The client cannot tell whether a timed-out write landed: every error counts as indefinite.
                history.info(op, { code: e.code ?? null, name: e.errorName ?? e.name ?? 'Error', message: e.message ?? String(error) });
              },
            )
            .finally(() => {
              completed++;
              if (crashAt.length > 0 && completed >= crashAt[0] && crashInProgress === null && broker !== null) {
                crashAt.shift();
                const target = broker;
                history.nemesis('crash');
                crashInProgress = (async () => {
                  await target.crash();
                  // A short outage: the client's retries must ride it out.
                  await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(random() * 400)));
                  await target.restart();
                  history.nemesis('restart');
                })().finally(() => {
                  crashInProgress = null;
                });
              }
              if (performance.now() - lastProgress > 200 || completed === total) {
                lastProgress = performance.now();
                progress();
              }
              if (completed === total) resolveAll();
              else next();
            });
        }
      };
      next();
    });
    while (crashInProgress !== null) await crashInProgress;
    // Heal, then let the client finish before the final read.
    proxy.setEnabled(false);
    await producer.flush();
    const durationMs = performance.now() - started;
    await producer.close();
    producer = null;
    history.nemesis('heal');

    const scan = await readLog({ bootstrap: direct, topic });
    if (options.historyDir !== undefined) history.writeTo(`${options.historyDir}/history-idempotence-${mode}.jsonl`);
    const stats = proxy.stats();
    const faultsInjected = stats.totalFaults + (broker?.crashes ?? 0);
    const check = checkHistory(history.events, [{ name: 'final-scan', topic, scan }], { idempotent, faultsInjected });
    const faultsByKind: Record<string, number> = { ...stats.faults, disconnect: stats.disconnects, crash: broker?.crashes ?? 0 };
    return {
      idempotent,
      topic,
      sent: check.counts.sent,
      acknowledged: check.counts.acknowledged,
      failed: check.counts.failed + check.counts.indeterminate,
      stored: check.counts.stored,
      duplicates: check.counts.duplicates,
      lost: check.counts.lost,
      outOfOrder: check.counts.outOfOrder,
      faultsInjected,
      faultsByKind,
      durationMs,
      throughput: check.counts.acknowledged / (durationMs / 1000),
      check,
    };
  } finally {
    if (producer !== null) await producer.close().catch(() => undefined);
    await proxy.close();
    await broker?.close();
  }
}

/**
 * Runs the workload with idempotence off and on (see `VerifyOptions.modes`) and checks both. The runs share nothing
 * (each has its own proxy, broker, topic and producer) and spend most of their time waiting on injected faults, so
 * they run side by side.
 */
export async function verifyExactlyOnce(options: VerifyOptions = {}): Promise<VerifyResult> {
  const seed = options.seed ?? 1;
  // allSettled: a run that fails still lets the other tear its broker and proxy down before the error surfaces.
  const settled = await Promise.allSettled((options.modes ?? [false, true]).map((idempotent) => runOnce(options, idempotent, seed)));
  const runs: VerifyRunResult[] = [];
  for (const outcome of settled) {
    if (outcome.status === 'rejected') throw outcome.reason;
    runs.push(outcome.value);
  }
  return { runs, ok: runs.every((run) => !run.idempotent || run.check.proved), seed };
}
