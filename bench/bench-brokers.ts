// The brokers a bench measures, each in a process of its own: `seqlog serve` from this checkout, and Apache Kafka
// 4.4 as its own start scripts run it (G1, the C2 compiler, a 1 GiB heap), never with the test harness's
// small-JVM defaults.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startReferenceKafka, startScriptJvmOptions, type ReferenceKafkaOptions } from '../test/reference/kafka.ts';
import { repoRoot } from '../test/reference/layout.ts';

export interface BenchBroker {
  readonly bootstrap: string;
  /** Milliseconds from spawning the process to its first listening answer. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

/** `seqlog serve` on a free port with a fresh data dir (removed at stop), the given fsync policy. */
export async function startSeqlogServe(fsync: 'always' | 'interval' | 'never'): Promise<BenchBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'seqlog-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--listeners', 'PLAINTEXT://127.0.0.1:0', '--data', dataDir, '--fsync', fsync], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`seqlog serve exited ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as { bootstrap?: string };
      if (entry.bootstrap) resolve(entry.bootstrap);
    });
  });
  return {
    bootstrap,
    startupMs: performance.now() - started,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One Apache Kafka 4.4 node with its start scripts' JVM settings. `durable`: flush every message, the closest
 * Kafka has to an fsync before each acknowledgement.
 */
export async function startBenchKafka(options: { durable?: boolean; features?: ReferenceKafkaOptions['features'] } = {}): Promise<BenchBroker> {
  const kafka = await startReferenceKafka({
    brokers: 1,
    heapMb: 1024,
    jvmOptions: startScriptJvmOptions,
    config: options.durable === true ? { 'log.flush.interval.messages': '1' } : {},
    ...(options.features === undefined ? {} : { features: options.features }),
    log: () => undefined,
  });
  return { bootstrap: kafka.bootstrap, startupMs: kafka.startupMs, stop: () => kafka.stop() };
}
