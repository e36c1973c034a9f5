// `verifyTransactions`: the consume-transform-produce demonstration behind `seqlog verify --transactions`. An input
// topic is filled with N records; then a pipeline turns each input into one output, through the chaos proxy (lost
// acks, delayed answers, cut connections on the produce, fetch, offset and transaction APIs), with the processor
// crashing and restarting at seeded points between writing its outputs and committing its input offsets — twice,
// side by side:
//
//   at-least-once  an idempotent producer writes the outputs, then the consumer commits the offsets: a crash in
//                  between re-processes the batch, so its outputs appear twice
//   exactly-once   seqlog's ExactlyOnceProcessor: outputs and offsets commit in one transaction; a crash aborts it
//
// A read_committed observer polls the output while the pipeline runs; at the end the output is read back
// (read_committed, through the consumer) with the group's offsets, and the transactional checker judges the run.
import { Consumer, ExactlyOnceProcessor, Producer, type ConsumerBatch, type ConsumerRecord } from '../client/index.ts';
import type { BrokerMutations } from './broker-mutations.ts';
import { ChaosFault, ChaosProxy, type ChaosRule } from './chaos-proxy.ts';
import { EmbeddedBroker } from './embedded-broker.ts';
import { readLog } from './log-reader.ts';
import { mulberry32 } from './random.ts';
import { createTopic, parseHostPort } from './topics.ts';
import { TransactionalHistory, type InputRef } from './txn-history.ts';
import { checkTransactions, type TxnCheckResult } from './txn-checker.ts';
import { ApiKey } from '../protocol/messages/generated/index.ts';

export type DeliveryMode = 'at-least-once' | 'exactly-once';

/** Inputs per run by default: a few hundred transactions and well over a hundred faults in a few seconds. */
export const defaultTransactionalVerifyInputs = 1500;

export interface TransactionalVerifyOptions {
  /** Input records per run. Default 1,500. */
  readonly inputs?: number;
  /** Partitions of the input and output topics. Default 3. */
  readonly partitions?: number;
  /** Seed of the fault schedule and the crash points. Default 1. */
  readonly seed?: number;
  /** Any Kafka (Apache Kafka included); default: an embedded seqlog broker, which is also crashed and restarted. */
  readonly bootstrap?: string;
  /** Which runs (they run at the same time; results come in this order). Default at-least-once, then exactly-once. */
  readonly modes?: readonly DeliveryMode[];
  /** Processor crashes (then a new instance takes over) per run. Default 6. */
  readonly processorCrashes?: number;
  /** Broker crashes per run, embedded broker only. Default 1. */
  readonly brokerCrashes?: number;
  /** Chance per matching request of a lost answer; delays and cuts scale with it. Default 0.06. */
  readonly faultRate?: number;
  /** Give up waiting for the pipeline to finish after this long. Default 60 s. */
  readonly timeoutMs?: number;
  /** Embedded broker only: break the broker on purpose, for the testkit's own mutation tests. */
  readonly brokerMutations?: BrokerMutations;
  readonly onProgress?: (progress: { mode: DeliveryMode; processed: number; total: number; faults: number }) => void;
  /** Where to write each run's history (JSON Lines), `<dir>/history-<mode>.jsonl`. */
  readonly historyDir?: string;
}

export interface TransactionalVerifyRun {
  readonly mode: DeliveryMode;
  readonly inputs: number;
  /** Output records visible to read_committed. */
  readonly outputs: number;
  /** Output records in the log (read_uncommitted), aborted ones included. */
  readonly written: number;
  /** Inputs whose output is visible more than once. */
  readonly duplicates: number;
  /** Inputs without a visible output. */
  readonly missing: number;
  /** Visible records of aborted transactions. */
  readonly abortedVisible: number;
  readonly faults: number;
  readonly faultsByKind: Readonly<Record<string, number>>;
  readonly processorCrashes: number;
  readonly transactions: { readonly committed: number; readonly aborted: number; readonly indeterminate: number };
  readonly durationMs: number;
  readonly check: TxnCheckResult;
}

export interface TransactionalVerifyResult {
  readonly runs: readonly TransactionalVerifyRun[];
  /** Every exactly-once run was hit by faults and shows no anomaly. */
  readonly ok: boolean;
  readonly seed: number;
}

class ProcessorCrash extends Error {
  override readonly name = 'ProcessorCrash';
}

function faultRules(rate: number): ChaosRule[] {
  const apis = [ApiKey.Produce, ApiKey.Fetch, ApiKey.EndTxn, ApiKey.TxnOffsetCommit, ApiKey.AddOffsetsToTxn, ApiKey.AddPartitionsToTxn, ApiKey.OffsetCommit, ApiKey.OffsetFetch, ApiKey.InitProducerId];
  return [
    { fault: ChaosFault.dropResponse, apiKeys: apis, probability: rate, closeClient: true },
    { fault: ChaosFault.delayResponse, apiKeys: apis, probability: rate, delayMs: [10, 100] },
    { fault: ChaosFault.cutRequest, apiKeys: apis, probability: rate / 4 },
    { fault: ChaosFault.cutResponse, apiKeys: apis, probability: rate / 4 },
  ];
}

/**
 * Timeouts and backoffs sized to the injected faults, as in `verifyExactlyOnce`: every lost or cut answer resets the
 * connection, so the run never waits out request.timeout.ms, while each reset sends the coordinator request, the
 * batches in flight or the fetch through retry.backoff and the reconnection through reconnect.backoff; at Kafka's
 * 100 ms and 50 ms (both doubling) those waits, not the faults, would set the pace.
 */
const clientTimeouts = { requestTimeoutMs: 3000, retryBackoffMs: 5, reconnectBackoffMs: 5, reconnectBackoffMaxMs: 50 } as const;
const producerTimeouts = { ...clientTimeouts, retryBackoffMaxMs: 20 } as const;

/** One pipeline instance: processes until it crashes (resolves false) or the signal stops it (resolves true). */
type Instance = (crashAfter: number, signal: AbortSignal) => Promise<boolean>;

async function runOnce(options: TransactionalVerifyOptions, mode: DeliveryMode, seed: number): Promise<TransactionalVerifyRun> {
  const total = options.inputs ?? defaultTransactionalVerifyInputs;
  const partitions = options.partitions ?? 3;
  const suffix = `${seed}-${mode}-${Date.now().toString(36)}`;
  const input = `seqlog-verify-txn-in-${suffix}`;
  const output = `seqlog-verify-txn-out-${suffix}`;
  const groupId = `seqlog-verify-txn-${suffix}`;
  const history = new TransactionalHistory();
  const embedded = options.bootstrap === undefined;
  const random = mulberry32(seed ^ 0x7e57);
  const proxyTarget = { host: '127.0.0.1', port: 0 };
  const proxy = await ChaosProxy.start({ target: proxyTarget, seed, rewriteMetadata: !embedded });
  let broker: EmbeddedBroker | null = null;
  const started = performance.now();
  let processed = 0;
  let crashes = 0;
  try {
    if (embedded) {
      broker = await EmbeddedBroker.start({ advertisedHost: proxy.host, advertisedPort: proxy.port, fsync: 'interval', ...(options.brokerMutations === undefined ? {} : { mutations: options.brokerMutations }) });
    }
    const direct = broker?.bootstrap ?? (options.bootstrap as string);
    Object.assign(proxyTarget, parseHostPort(direct));
    await createTopic(direct, input, partitions);
    await createTopic(direct, output, partitions);

    // The input, written directly (no faults) and read back to learn each record's offset.
    // Small batches (about ten records per partition): each becomes one transaction of the pipeline.
    const loader = new Producer({ bootstrap: direct, lingerMs: 0 });
    const chunk = 10 * partitions;
    for (let from = 0; from < total; from += chunk) {
      await loader.send(Array.from({ length: Math.min(chunk, total - from) }, (_, k) => ({ topic: input, partition: (from + k) % partitions, value: `in-${from + k}` })));
    }
    await loader.close();
    const inputScan = await readLog({ bootstrap: direct, topic: input });
    history.inputs([...inputScan].flatMap(([partition, records]) => records.map((r) => ({ topic: input, partition, offset: r.offset, value: r.value }))));

    proxy.setRules(faultRules(options.faultRate ?? 0.06));
    const bootstrap = proxy.address;
    const consumerOptions = { ...clientTimeouts, groupInstanceId: `${groupId}-member`, sessionTimeoutMs: 10_000, maxPartitionFetchBytes: 128, fetchMaxWaitMs: 100 };
    const inputsOf = (record: ConsumerRecord): InputRef[] => [{ topic: record.topic, partition: record.partition, offset: record.offset.toString() }];
    const outputValue = (record: ConsumerRecord, attempt: string): string => `out:${record.valueString() ?? ''}@${attempt}`;
    const report = (): void => options.onProgress?.({ mode, processed, total, faults: proxy.stats().totalFaults + crashes + (broker?.crashes ?? 0) });

    let instanceNo = 0;
    const atLeastOnce: Instance = async (crashAfter, signal) => {
      const name = `alo-${++instanceNo}`;
      const consumer = new Consumer({ ...consumerOptions, bootstrap, groupId, enableAutoCommit: false, autoOffsetReset: 'earliest' });
      const producer = new Producer({ ...producerTimeouts, bootstrap, lingerMs: 1, deliveryTimeoutMs: 60_000 });
      let batches = 0;
      try {
        consumer.subscribe([input]);
        for (;;) {
          const batch = await consumer.nextBatch(signal);
          if (batch === null) return true;
          await Promise.all(
            batch.records.map((record) => {
              const op = history.invokeSend(null, name, { topic: output, partition: record.partition, value: outputValue(record, `${name}:${batches}`), inputs: inputsOf(record) });
              return producer.send({ topic: output, partition: record.partition, value: outputValue(record, `${name}:${batches}`) }).then(
                (meta) => history.sendOk(op, meta.partition, meta.offset),
                (error: unknown) => history.sendFailed(op, error, false),
              );
            }),
          );
          batches++;
          // The crash lands after the outputs are written and before the offsets are: the batch is redone.
          if (batches >= crashAfter) return false;
          const offsets = [{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }];
          await consumer.commit(offsets);
          history.offsetCommit(name, groupId, offsets);
          processed += batch.records.length;
          report();
        }
      } finally {
        await producer.close().catch(() => undefined);
        await consumer.close().catch(() => undefined);
      }
    };

    const exactlyOnce: Instance = async (crashAfter, signal) => {
      const name = `eos-${++instanceNo}`;
      let txn: string | null = null;
      let transactions = 0;
      let recordsInTxn = 0;
      const processor = new ExactlyOnceProcessor({
        bootstrap,
        groupId,
        // The same transactional id for every instance: each new one fences its predecessor (KIP-98).
        transactionalId: `${groupId}-processor`,
        inputTopics: input,
        consumer: consumerOptions,
        producer: { ...producerTimeouts, lingerMs: 1 },
        async transform(record) {
          if (txn === null) {
            txn = history.begin(name);
            recordsInTxn = 0;
          }
          // The crash comes after the transaction's first output has reached the broker, so that the abort leaves
          // data behind for read_committed to hide.
          if (transactions >= crashAfter && recordsInTxn >= 1) {
            await new Promise((resolve) => setTimeout(resolve, 30));
            throw new ProcessorCrash(`${name} crashes in transaction ${txn}`);
          }
          recordsInTxn++;
          const value = outputValue(record, txn);
          history.invokeSend(txn, name, { topic: output, partition: record.partition, value, inputs: inputsOf(record) });
          return { topic: output, partition: record.partition, value };
        },
        beforeCommit(batch) {
          if (txn === null) return;
          history.sendOffsets(txn, groupId, [{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }]);
          history.invokeCommit(txn);
        },
        onCommit(batch) {
          if (txn !== null) history.commitOk(txn);
          txn = null;
          transactions++;
          processed += batch.inputs;
          report();
        },
        onAbort({ error }) {
          // The processor aborted before calling this, unless its producer is fenced or failed fatally.
          if (txn !== null) {
            if (processor.producer.transactionState === 'READY') history.abortOk(txn);
            else history.abortFailed(txn, error);
          }
          txn = null;
        },
      });
      try {
        await processor.run(signal);
        return true;
      } catch (error) {
        if (error instanceof ProcessorCrash) return false;
        throw error;
      } finally {
        await processor.close().catch(() => undefined);
      }
    };

    // A read_committed observer: what an application reading the output sees while the pipeline runs.
    const observerStop = new AbortController();
    const observer = new Consumer({ bootstrap, isolationLevel: 'read_committed', autoOffsetReset: 'earliest', fetchMaxWaitMs: 100, ...clientTimeouts });
    observer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic: output, partition })));
    const observing = observer.run({ signal: observerStop.signal, eachBatch: (batch: ConsumerBatch) => history.read('observer', 'read_committed', batch.records.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset, value: r.valueString() }))) }).catch(() => undefined);

    const crashBudget = options.processorCrashes ?? 6;
    const brokerCrashes = embedded ? (options.brokerCrashes ?? 1) : 0;
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    const checker = new Consumer({ bootstrap: direct, groupId, ...clientTimeouts });
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic: input, partition }));
    const ends = await checker.endOffsets(tps);
    const finished = async (): Promise<boolean> => {
      const committed = await checker.committed(tps).catch(() => []);
      return ends.every((end) => committed.some((c) => c.partition === end.partition && c.offset >= end.offset));
    };
    try {
      for (;;) {
        const stop = new AbortController();
        const crashAfter = crashes < crashBudget ? 1 + Math.floor(random() * 8) : Number.POSITIVE_INFINITY;
        const instance = (mode === 'exactly-once' ? exactlyOnce : atLeastOnce)(crashAfter, stop.signal);
        const watcher = (async () => {
          while (!stop.signal.aborted) {
            if ((await finished()) || Date.now() > deadline) stop.abort();
            else await new Promise((resolve) => setTimeout(resolve, 25));
          }
        })();
        let survived: boolean;
        try {
          survived = await instance;
        } finally {
          stop.abort();
          await watcher;
        }
        if (!survived) {
          crashes++;
          history.nemesis('processor-crash');
          if (broker !== null && crashes <= brokerCrashes) {
            history.nemesis('broker-crash');
            await broker.crash();
            await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(random() * 300)));
            await broker.restart();
            history.nemesis('broker-restart');
          }
          continue;
        }
        if (await finished()) break;
        if (Date.now() > deadline) throw new Error(`the ${mode} pipeline did not finish within ${options.timeoutMs ?? 60_000} ms (${processed} of ${total} inputs processed)`);
      }
    } finally {
      observerStop.abort();
      await observing;
      await observer.close().catch(() => undefined);
    }
    const durationMs = performance.now() - started;
    proxy.setEnabled(false);
    history.nemesis('heal');

    const committed = await checker.committed(tps);
    await checker.close();
    const scan = await readLog({ bootstrap: direct, topic: output, isolationLevel: 'read_committed' });
    const everything = await readLog({ bootstrap: direct, topic: output, isolationLevel: 'read_uncommitted' });
    if (options.historyDir !== undefined) history.writeTo(`${options.historyDir}/history-${mode}.jsonl`);
    const check = checkTransactions(history.events, {
      finalReads: [{ topic: output, scan }],
      committedOffsets: committed.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.offset })),
      duplicatesExpected: mode === 'at-least-once',
    });
    const stats = proxy.stats();
    const faultsByKind: Record<string, number> = { ...stats.faults, 'processor-crash': crashes, 'broker-crash': broker?.crashes ?? 0 };
    return {
      mode,
      inputs: total,
      outputs: check.counts.visible,
      written: [...everything.values()].reduce((sum, records) => sum + records.length, 0),
      duplicates: check.counts.inputsDuplicated,
      missing: check.counts.inputsMissing,
      abortedVisible: check.counts.abortedVisible,
      faults: stats.totalFaults + crashes + (broker?.crashes ?? 0),
      faultsByKind,
      processorCrashes: crashes,
      transactions: check.counts.transactions,
      durationMs,
      check,
    };
  } finally {
    await proxy.close();
    await broker?.close();
  }
}

/**
 * Runs the pipeline at-least-once and exactly-once (see `modes`) at the same time and checks both: the runs share
 * nothing (each has its own proxy, broker and topics) and spend most of their time waiting on injected faults.
 */
export async function verifyTransactions(options: TransactionalVerifyOptions = {}): Promise<TransactionalVerifyResult> {
  const seed = options.seed ?? 1;
  // allSettled: a run that fails still lets the other tear its broker and proxy down before the error surfaces.
  const settled = await Promise.allSettled((options.modes ?? (['at-least-once', 'exactly-once'] as const)).map((mode) => runOnce(options, mode, seed)));
  const runs: TransactionalVerifyRun[] = [];
  for (const outcome of settled) {
    if (outcome.status === 'rejected') throw outcome.reason;
    runs.push(outcome.value);
  }
  return { runs, ok: runs.every((run) => run.mode !== 'exactly-once' || (run.check.valid && run.faults > 0)), seed };
}
