// A bounded fuzz run against a broker in a child process: a few thousand frames, valid requests of every API at
// every version and mutations of them (see frame-fuzz.ts), sent over 8 connections that are reopened whenever
// the broker closes one. Meanwhile a well-behaved client produces acks=all records. The broker must stay up,
// answer that client within a second throughout, keep every record it acknowledged, and stay under a memory bound.
// SEQLOG_FUZZ_FRAMES and SEQLOG_FUZZ_SEED change the run's size and seed (a failure prints the seed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { ChildBroker } from '../../src/testkit/child-broker.ts';
import { readLog } from '../../src/testkit/log-reader.ts';
import { mulberry32, randomInt } from '../../src/testkit/random.ts';
import { BrokerConnection } from '../../src/client/connection/broker-connection.ts';
import { RssSampler, createTopic, rssMiB, wellBehavedProbe } from './connection-attacks.ts';
import { mutate, seedFrames } from './frame-fuzz.ts';

const FRAMES = Number(process.env.SEQLOG_FUZZ_FRAMES ?? 3000);
const SEED = Number(process.env.SEQLOG_FUZZ_SEED ?? 20261206);
const WORKERS = 8;
/** How long to wait for an answer (or a close) before moving on with a fresh connection. */
const ANSWER_WAIT_MS = 150;
const ALLOWED_GROWTH_MIB = 256;

interface Outcome {
  answered: number;
  closedByBroker: number;
  noAnswer: number;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Sends `frame` and waits for the first answer bytes, a close, or ANSWER_WAIT_MS. */
function sendAndWait(socket: Socket, frame: Buffer): Promise<'answered' | 'closed' | 'silent'> {
  return new Promise((resolve) => {
    const done = (result: 'answered' | 'closed' | 'silent'): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(result);
    };
    const onData = (): void => done('answered');
    const onClose = (): void => done('closed');
    const timer = setTimeout(() => done('silent'), ANSWER_WAIT_MS);
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(frame);
  });
}

describe('fuzzed frames', { timeout: 300_000 }, () => {
  let broker: ChildBroker;
  before(async () => {
    broker = await ChildBroker.start();
  });
  after(() => broker?.close());

  it(`keeps the broker up, responsive and lossless through ${FRAMES} random and mutated frames (seed ${SEED})`, async () => {
    const address = { host: '127.0.0.1', port: broker.port };
    const pid = broker.pid;
    assert.ok(pid !== undefined, 'the child broker runs');
    await createTopic(address, 'fuzz');
    await createTopic(address, 'good');
    const seeds = seedFrames('fuzz');
    const random = mulberry32(SEED);
    const baseline = rssMiB(pid);
    const sampler = new RssSampler(pid);
    let next = 0;
    let fuzzing = true;
    const probe = wellBehavedProbe(address, 'good', () => fuzzing);
    const outcome: Outcome = { answered: 0, closedByBroker: 0, noAnswer: 0 };
    const worker = async (): Promise<void> => {
      let socket = await open(broker.port);
      try {
        while (next < FRAMES) {
          const index = next++;
          // Every seed once, unmutated, then mutations of random seeds.
          const frame = index < seeds.length && index % 2 === 0 ? seeds[index] : mutate(seeds[randomInt(random, 0, seeds.length - 1)], random);
          const result = await sendAndWait(socket, frame);
          if (result === 'answered') {
            outcome.answered++;
            continue;
          }
          if (result === 'closed') outcome.closedByBroker++;
          else outcome.noAnswer++;
          socket.destroy();
          socket = await open(broker.port);
        }
      } finally {
        socket.destroy();
      }
    };
    try {
      await Promise.all(Array.from({ length: WORKERS }, () => worker()));
    } finally {
      fuzzing = false;
    }
    const result = await probe;
    const peak = sampler.stop();
    console.log(
      `# seed ${SEED}: ${FRAMES} frames (${seeds.length} seeds), ${outcome.answered} answered, ${outcome.closedByBroker} closed the connection, ${outcome.noAnswer} silent; ` +
        `RSS baseline ${baseline.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB; slowest Metadata ${result.maxPingMs} ms; ${result.acked.length} records acknowledged`,
    );

    const check = await BrokerConnection.open(address);
    check.close();
    assert.equal(result.unanswered, 0, 'every request of the well-behaved client was answered');
    assert.ok(result.maxPingMs < 1000, `Metadata answered within a second (slowest: ${result.maxPingMs} ms, seed ${SEED})`);
    assert.ok(result.acked.length > 0, 'the well-behaved client got records acknowledged');
    assert.ok(outcome.answered > 0 && outcome.closedByBroker > 0, 'the run reached both answers and closed connections');
    assert.ok(peak < baseline + ALLOWED_GROWTH_MIB, `peak RSS ${peak.toFixed(0)} MiB, baseline ${baseline.toFixed(0)} MiB (seed ${SEED})`);
    const stored = new Set((await readLog({ bootstrap: broker.bootstrap, topic: 'good', partitions: [0] })).get(0)?.map((record) => record.value));
    assert.deepEqual(
      result.acked.filter((value) => !stored.has(value)),
      [],
      `every acknowledged record is kept (seed ${SEED})`,
    );
  });
});
