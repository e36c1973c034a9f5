// One side of the end-to-end latency bench (bench/e2e-latency.bench.ts), seqlog's client in a process of its own:
//   node --import tsx bench/latency-peers/e2e-client.ts produce <bootstrap> <topic> <records/s> <seconds> <value bytes>
//     sends at a steady rate (a tick every 5 ms sends what the rate owes), idempotent, acks=all; each value starts
//     with its send time (ms since the epoch, as a float64 with sub-millisecond precision). Prints {"sent": n}.
//   node --import tsx bench/latency-peers/e2e-client.ts consume <bootstrap> <topic> <records>
//     reads the topic from the beginning with isolation.level=read_committed, says "consumer ready" on stderr once
//     it received the bench's warm-up record (a value shorter than 8 bytes), and prints the p50/p99/max of
//     (receive time - send time) in ms once <records> arrived, leaving out records sent in the first second
//     (connections, metadata and the first fetch are not what is measured).
// Both processes run on the same machine, so their wall clocks agree (timeOrigin + now gives sub-ms precision).
// Each also reports its own event-loop delay (p50/p99 ms) and how long its threads waited for a CPU while
// runnable (ms per second of the run, from /proc schedstat), to tell a starved client from a slow broker.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Consumer, Producer, type ProducerOptions } from '../../src/client/index.ts';
import { readSchedStat } from '../cpu-hogs.ts';

const WARM_UP_MS = 1000;
const STALL_MS = 60_000;

function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const eventLoop = monitorEventLoopDelay({ resolution: 1 });
eventLoop.enable();
const schedAtStart = readSchedStat('self');
const startedAt = performance.now();

/** Event-loop delay and CPU wait of this process since it started. */
function processReport(): { loopP50Ms: number; loopP99Ms: number; cpuWaitMsPerS: number; cpuMsPerS: number } {
  const seconds = (performance.now() - startedAt) / 1000;
  const sched = readSchedStat('self');
  const per = (ns: number): number => ns / 1e6 / seconds;
  return {
    loopP50Ms: eventLoop.percentile(50) / 1e6,
    loopP99Ms: eventLoop.percentile(99) / 1e6,
    cpuWaitMsPerS: sched === null || schedAtStart === null ? Number.NaN : per(sched.waitNs - schedAtStart.waitNs),
    cpuMsPerS: sched === null || schedAtStart === null ? Number.NaN : per(sched.cpuNs - schedAtStart.cpuNs),
  };
}

const [mode, bootstrap, topic, ...rest] = process.argv.slice(2);

if (mode === 'produce') {
  const [rate, seconds, valueBytes] = rest.map(Number);
  // LATENCY_PRODUCER_OPTIONS (JSON, e.g. {"lingerMs":0}) overrides producer settings, for experiments.
  const overrides = JSON.parse(process.env.LATENCY_PRODUCER_OPTIONS ?? '{}') as Partial<ProducerOptions>;
  const producer = new Producer({ bootstrap, idempotent: true, acks: 'all', ...overrides });
  const total = Math.round(rate * seconds);
  let sent = 0;
  const acks: number[] = [];
  const pending: Promise<unknown>[] = [];
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const owed = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      for (; sent < owed; sent++) {
        const value = Buffer.alloc(valueBytes, 0x61);
        value.writeDoubleBE(wallClockMs(), 0);
        const sentAt = performance.now();
        pending.push(producer.send({ topic, partition: 0, value }).then(() => acks.push(performance.now() - sentAt)));
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
  await Promise.all(pending);
  await producer.close();
  acks.sort((a, b) => a - b);
  // The producer's own view: how long the acknowledgement took (the consumer's figure includes it).
  process.stdout.write(`${JSON.stringify({ sent, ackP50Ms: percentile(acks, 50), ackP99Ms: percentile(acks, 99), ...processReport() })}\n`);
} else if (mode === 'consume') {
  const records = Number(rest[0]);
  const consumer = new Consumer({ bootstrap, isolationLevel: 'read_committed', autoOffsetReset: 'earliest' });
  consumer.assign([{ topic, partition: 0 }]);
  const latencies: number[] = [];
  let received = 0;
  let firstSentMs = -1;
  const controller = new AbortController();
  process.stderr.write('consumer assigned\n');
  // A consumer that stops receiving fails the bench instead of hanging it.
  let lastReceivedMs = performance.now();
  const watchdog = setInterval(() => {
    if (performance.now() - lastReceivedMs < STALL_MS) return;
    process.stderr.write(`no record for ${STALL_MS} ms: ${received}/${records} received\n`);
    process.exit(1);
  }, 1000);
  await consumer.run({
    signal: controller.signal,
    eachBatch: (batch) => {
      const now = wallClockMs();
      lastReceivedMs = performance.now();
      for (const record of batch.records) {
        if (record.value === null || record.value.length < 8) {
          // The bench's warm-up record: fetching works; the bench starts the producer after this line.
          process.stderr.write('consumer ready\n');
          continue;
        }
        received++;
        if (record.value !== null && record.value.length >= 8) {
          const sentMs = Buffer.from(record.value.buffer, record.value.byteOffset, 8).readDoubleBE(0);
          if (firstSentMs < 0) firstSentMs = sentMs;
          if (sentMs >= firstSentMs + WARM_UP_MS) latencies.push(now - sentMs);
        }
        if (received >= records) {
          controller.abort();
          break;
        }
      }
    },
  });
  clearInterval(watchdog);
  await consumer.close();
  latencies.sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({ records: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies[latencies.length - 1], ...processReport() })}\n`);
  process.exit(0);
} else {
  throw new Error(`unknown mode ${mode}; expected produce or consume`);
}
