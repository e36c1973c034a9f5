// The load of bench/log-cleaner.ts's broker part, in its own process so that its timings are not the broker's
// event loop: one record of 100 bytes produced every millisecond (acks=all, each send awaited before the next),
// each send's latency kept; on the message 'report' it answers with the latencies so far and starts afresh.
import { setTimeout as sleep } from 'node:timers/promises';
import { Producer } from '../src/client/index.ts';

const [bootstrap, topic] = process.argv.slice(2);
const producer = new Producer({ bootstrap, lingerMs: 0 });
let latencies: number[] = [];
let running = true;

process.on('message', (message) => {
  if (message === 'report') {
    process.send?.(latencies);
    latencies = [];
  } else if (message === 'stop') {
    running = false;
  }
});

const value = Buffer.alloc(100, 7);
await producer.send({ topic, partition: 0, key: 'warm-up', value });
process.send?.('ready');
let i = 0;
while (running) {
  const started = performance.now();
  await producer.send({ topic, partition: 0, key: `k${i++ % 100}`, value });
  latencies.push(performance.now() - started);
  await sleep(1);
}
await producer.close();
process.disconnect?.();
