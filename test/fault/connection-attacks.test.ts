// Many hostile connections at once against a broker in a child process: Fetch requests naming one 1 MiB partition
// 256 times, Fetch requests never read, half-sent 95 MiB frames, 1 MiB Produce requests never read. The broker's
// RSS must stay under a bound set by `queued.max.request.bytes`, a well-behaved client must be answered within a
// second throughout, and every record it got acknowledged must be kept. (Before connections were muted and
// bounded, the same attacks took the broker past 3 GiB: see bench/attack.ts.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildBroker } from '../../src/testkit/child-broker.ts';
import { readLog } from '../../src/testkit/log-reader.ts';
import {
  RssSampler,
  allAtOnce,
  bigProduces,
  closeSockets,
  createTopic,
  duplicatedPartitionFetch,
  fillPartition,
  halfFrames,
  neverReadingFetchers,
  rssMiB,
  wellBehavedProbe,
} from './connection-attacks.ts';

const QUEUED_MAX_MIB = 64;
/** What the broker may grow by: the queued bound, one read per attacking connection, and heap slack. */
const ALLOWED_GROWTH_MIB = 256;

describe('many hostile connections at once', { timeout: 120_000 }, () => {
  let broker: ChildBroker;
  before(async () => {
    broker = await ChildBroker.start({ configs: { 'queued.max.request.bytes': String(QUEUED_MAX_MIB * 1024 * 1024) } });
  });
  after(() => broker?.close());

  it('keeps the broker under its memory bound while a well-behaved client is answered and nothing acknowledged is lost', async () => {
    const address = { host: '127.0.0.1', port: broker.port };
    const pid = broker.pid;
    assert.ok(pid !== undefined, 'the child broker runs');
    await createTopic(address, 'big');
    await createTopic(address, 'good');
    await createTopic(address, 'sink');
    await fillPartition(address, 'big', 1);
    const baseline = rssMiB(pid);
    const sampler = new RssSampler(pid);
    const probe = wellBehavedProbe(address, 'good', 6000);
    const attack = allAtOnce([duplicatedPartitionFetch('big'), neverReadingFetchers('big'), halfFrames(), bigProduces('sink')]);
    const sockets = await attack.start(address);
    const result = await probe;
    const peak = sampler.stop();
    closeSockets(sockets);
    console.log(`# baseline RSS ${baseline.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB; slowest Metadata ${result.maxPingMs} ms, slowest acks=all Produce ${result.maxProduceMs} ms; ${result.acked.length} records acknowledged; slow Metadata answers ${JSON.stringify(result.slowPings)}`);

    assert.equal(result.unanswered, 0, 'every request of the well-behaved client was answered');
    // Two seconds rather than one: this test shares two cores with the rest of the suite; `npm run bench:attack` measures the steady figure.
    assert.ok(result.maxPingMs < 2000, `Metadata answered within two seconds (slowest: ${result.maxPingMs} ms)`);
    assert.ok(result.acked.length > 0, 'the well-behaved client got records acknowledged');
    assert.ok(peak < baseline + ALLOWED_GROWTH_MIB, `peak RSS ${peak.toFixed(0)} MiB, baseline ${baseline.toFixed(0)} MiB`);

    const stored = new Set((await readLog({ bootstrap: broker.bootstrap, topic: 'good', partitions: [0] })).get(0)?.map((record) => record.value));
    const lost = result.acked.filter((value) => !stored.has(value));
    assert.deepEqual(lost, [], 'every acknowledged record is kept');
  });
});
