// librdkafka's producer under `verifyExactlyOnce`: a `VerifyProducerFactory` that drives a small Python program
// (`test/peers/python/history-producer.py`, on confluent-kafka) over stdin/stdout. The harness still picks every
// value and partition and writes the history; the program hands each record to librdkafka once and prints
// librdkafka's delivery report for it (partition and offset, or the error), so the history's ok/info events are
// librdkafka's own. Its retries — the ones that turn lost acks into duplicates without idempotence — are
// librdkafka's internal ones.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { VerifyProducer, VerifyProducerFactory, VerifyProducerOptions } from './verify.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface LibrdkafkaProducerOptions {
  /** The Python with confluent-kafka. Default: the repository's `.cache/venv/bin/python` (PyPI's confluent-kafka 2.x). */
  readonly python?: string;
  /** Default: `test/peers/python/history-producer.py` in the repository. */
  readonly script?: string;
  /** librdkafka `linger.ms`. Default 1. */
  readonly lingerMs?: number;
  /** librdkafka `batch.num.messages`. Default 10: small batches mean more Produce requests, so more chances for a fault. */
  readonly batchNumMessages?: number;
  /** librdkafka `request.timeout.ms`. Default 5000. */
  readonly requestTimeoutMs?: number;
  /** librdkafka `message.timeout.ms` (delivery timeout). Default 120,000. */
  readonly messageTimeoutMs?: number;
  /** How long start-up (import and first line) may take. Default 30 s. */
  readonly startTimeoutMs?: number;
}

export const defaultLibrdkafkaPython = `${repoRoot}.cache/venv/bin/python`;
export const librdkafkaScript = `${repoRoot}test/peers/python/history-producer.py`;

/** Throws, saying how to install it, when the default Python with confluent-kafka or the program is missing. */
export function requireLibrdkafkaPeer(settings: Pick<LibrdkafkaProducerOptions, 'python' | 'script'> = {}): void {
  const python = settings.python ?? defaultLibrdkafkaPython;
  const script = settings.script ?? librdkafkaScript;
  // The program and its Python live in a clone of the seqlog repository; the npm package ships neither.
  if (!existsSync(script)) {
    throw new Error(`librdkafka client: ${script} is missing; --client librdkafka runs from a clone of the seqlog repository (after \`npm run setup\` there), not from the installed package`);
  }
  if (!existsSync(python)) {
    throw new Error(`librdkafka client: ${python} is missing (a Python with confluent-kafka); run \`npm run setup\` in the seqlog repository first`);
  }
}

/** A delivery report or control line printed by history-producer.py. */
interface ReportLine {
  readonly ready?: boolean;
  readonly client?: string;
  readonly librdkafka?: string;
  readonly id?: number;
  readonly partition?: number;
  readonly offset?: number;
  readonly error?: { readonly code: number; readonly name: string; readonly message: string; readonly retriable: boolean; readonly fatal: boolean };
  readonly flushed?: number;
  readonly closed?: number;
}

/** A send rejected by librdkafka's delivery report; `code` and `errorName` as the history records them. */
export class LibrdkafkaDeliveryError extends Error {
  readonly code: number;
  readonly errorName: string;
  constructor(error: NonNullable<ReportLine['error']>) {
    super(`librdkafka: ${error.name}: ${error.message}`);
    this.name = 'LibrdkafkaDeliveryError';
    this.code = error.code;
    this.errorName = error.name;
  }
}

interface Pending {
  resolve(meta: { partition: number; offset: bigint }): void;
  reject(error: Error): void;
}

export class LibrdkafkaProducer implements VerifyProducer {
  /** `confluent-kafka X / librdkafka Y`, from the program's first line. */
  client = '';
  private readonly pending = new Map<number, Pending>();
  private readonly waiters: { kind: 'flushed' | 'closed'; resolve(remaining: number): void; reject(error: Error): void }[] = [];
  private nextId = 0;
  private exited: Promise<void>;
  private failure: Error | null = null;
  private stderr = '';
  private closing: Promise<void> | null = null;

  private constructor(private readonly child: ChildProcess) {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    // A write after the program died must not crash the harness; the exit handler fails what is pending.
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.fail(new Error(`history-producer.py exited (${signal ?? `code ${code}`})${this.stderr.trim() === '' ? '' : `: ${this.stderr.trim().split('\n').slice(-5).join(' | ')}`}`));
        resolve();
      });
    });
  }

  static async start(options: VerifyProducerOptions, settings: LibrdkafkaProducerOptions = {}): Promise<LibrdkafkaProducer> {
    requireLibrdkafkaPeer(settings);
    const python = settings.python ?? defaultLibrdkafkaPython;
    const script = settings.script ?? librdkafkaScript;
    const args = [
      script,
      '--bootstrap', options.bootstrap,
      '--idempotence', String(options.idempotent),
      '--client-id', options.clientId,
      '--linger-ms', String(settings.lingerMs ?? 1),
      '--batch-num-messages', String(settings.batchNumMessages ?? 10),
      '--request-timeout-ms', String(settings.requestTimeoutMs ?? 5000),
      '--message-timeout-ms', String(settings.messageTimeoutMs ?? 120_000),
    ];
    const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' } });
    const producer = new LibrdkafkaProducer(child);
    const ready = new Promise<ReportLine>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`librdkafka client: cannot start ${python}: ${error.message}`)));
      void producer.exited.then(() => reject(producer.failure ?? new Error('history-producer.py exited')));
      const lines = createInterface({ input: child.stdout! });
      let first = true;
      lines.on('line', (line) => {
        if (first) {
          first = false;
          try {
            resolve(JSON.parse(line) as ReportLine);
          } catch {
            reject(new Error(`librdkafka client: unexpected first line '${line}'`));
          }
          return;
        }
        producer.onLine(line);
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`librdkafka client: no ready line within ${settings.startTimeoutMs ?? 30_000} ms`)), settings.startTimeoutMs ?? 30_000);
    });
    try {
      const hello = await Promise.race([ready, timeout]);
      producer.client = `${hello.client ?? 'confluent-kafka'} / librdkafka ${hello.librdkafka ?? '?'}`;
    } catch (error) {
      child.kill('SIGKILL');
      await producer.exited;
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return producer;
  }

  private onLine(line: string): void {
    let report: ReportLine;
    try {
      report = JSON.parse(line) as ReportLine;
    } catch {
      this.fail(new Error(`librdkafka client: unexpected line '${line}'`));
      return;
    }
    if (report.id !== undefined) {
      const entry = this.pending.get(report.id);
      if (entry === undefined) {
        this.fail(new Error(`librdkafka client: a second delivery report for record ${report.id}`));
        return;
      }
      this.pending.delete(report.id);
      if (report.error !== undefined) entry.reject(new LibrdkafkaDeliveryError(report.error));
      else entry.resolve({ partition: report.partition ?? -1, offset: BigInt(report.offset ?? -1) });
      return;
    }
    const kind = report.flushed !== undefined ? 'flushed' : report.closed !== undefined ? 'closed' : null;
    const index = this.waiters.findIndex((waiter) => waiter.kind === kind);
    if (kind === null || index < 0) return;
    const [waiter] = this.waiters.splice(index, 1);
    waiter.resolve(report.flushed ?? report.closed ?? 0);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private write(command: object): void {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  send(record: { topic: string; value: string; partition?: number }): Promise<{ partition: number; offset: bigint }> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.write({ id, topic: record.topic, value: record.value, partition: record.partition ?? -1 });
    });
  }

  async flush(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    const remaining = await new Promise<number>((resolve, reject) => {
      this.waiters.push({ kind: 'flushed', resolve, reject });
      this.write({ flush: true });
    });
    if (remaining !== 0) throw new Error(`librdkafka client: ${remaining} records still undelivered after flush`);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.child.exitCode === null && this.child.signalCode === null) {
        const closed = new Promise<number>((resolve, reject) => this.waiters.push({ kind: 'closed', resolve, reject })).catch(() => -1);
        this.child.stdin!.end();
        const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
        await Promise.race([closed, this.exited]);
        await this.exited;
        clearTimeout(timer);
      }
      this.fail(new Error('librdkafka client closed'));
    })();
    return this.closing;
  }
}

/** A `VerifyProducerFactory` for `verifyExactlyOnce`: librdkafka (confluent-kafka) instead of seqlog's Producer. */
export function librdkafkaProducerFactory(settings: LibrdkafkaProducerOptions = {}): VerifyProducerFactory {
  return (options) => LibrdkafkaProducer.start(options, settings);
}
