// Hostile clients for the memory-bound tests and the attack bench: each attack opens raw sockets to a broker,
// sends what it sends and never reads an answer. A well-behaved probe produces small acks=all records meanwhile and
// records how long each answer took. RSS is read from /proc for a broker in a child process.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { BrokerConnection } from '../../src/client/connection/broker-connection.ts';
import { encodeRequestFrame } from '../../src/protocol/framing.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import type { FetchRequest } from '../../src/protocol/messages/generated/01-fetch.ts';
import { encodeRecordBatch } from '../../src/protocol/records/index.ts';

export interface Address {
  readonly host: string;
  readonly port: number;
}

/** Resident set size of a process in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

/** Samples a process's RSS every `intervalMs` until stopped; reports the peak. */
export class RssSampler {
  private peakMiB = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, intervalMs = 50) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    try {
      this.peakMiB = Math.max(this.peakMiB, rssMiB(this.pid));
    } catch {
      // The process is gone (crashed under the attack): the peak so far stands.
    }
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peakMiB;
  }
}

function openSocket(address: Address): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(address.port, address.host, () => {
      socket.off('error', reject);
      // Never read: TCP pushes back on the broker once our receive buffer is full.
      socket.pause();
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export async function openSockets(address: Address, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) sockets.push(await openSocket(address));
  return sockets;
}

export function closeSockets(sockets: readonly Socket[]): void {
  for (const socket of sockets) socket.destroy();
}

export async function createTopic(address: Address, name: string, partitions = 1): Promise<void> {
  const connection = await BrokerConnection.open(address);
  try {
    const answer = await connection.send(ApiKey.CreateTopics, 7, {
      topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30000,
      validateOnly: false,
    });
    const code = answer.topics[0]?.errorCode;
    if (code !== 0 && code !== 36) throw new Error(`CreateTopics ${name}: error ${code}`);
  } finally {
    connection.close();
  }
}

function batchOf(values: readonly Buffer[]): Buffer {
  return encodeRecordBatch({ records: values.map((value) => ({ key: null, value, timestamp: BigInt(Date.now()) })) });
}

function produceFrame(topic: string, batch: Buffer, acks: number, correlationId: number): Buffer {
  return encodeRequestFrame(ApiKey.Produce, 9, correlationId, 'attacker', {
    transactionalId: null,
    acks,
    timeoutMs: 30000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });
}

/** Fills partition 0 of `topic` with about `mib` MiB (1 MiB batches of 64 KiB records). */
export async function fillPartition(address: Address, topic: string, mib: number): Promise<void> {
  const connection = await BrokerConnection.open(address);
  try {
    for (let i = 0; i < mib; i++) {
      const values = Array.from({ length: 15 }, () => Buffer.alloc(64 * 1024, 0x61 + (i % 26)));
      const answer = await connection.send(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 30000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: batchOf(values) }] }],
      });
      const code = answer.responses[0]?.partitionResponses[0]?.errorCode;
      if (code !== 0) throw new Error(`fill ${topic}: error ${code}`);
    }
  } finally {
    connection.close();
  }
}

function fetchFrame(topic: string, repeats: number, correlationId: number): Buffer {
  const partitions = Array.from({ length: repeats }, () => ({
    partition: 0,
    currentLeaderEpoch: -1,
    fetchOffset: 0n,
    lastFetchedEpoch: -1,
    logStartOffset: -1n,
    partitionMaxBytes: 1024 * 1024 * 1024,
    replicaDirectoryId: Buffer.alloc(16),
  }));
  const body: FetchRequest = {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 0x7fffffff,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: Buffer.alloc(16), partitions }],
    forgottenTopicsData: [],
    rackId: '',
  };
  return encodeRequestFrame(ApiKey.Fetch, 12, correlationId, 'attacker', body);
}

export interface Attack {
  readonly name: string;
  /** Opens its sockets and sends everything; resolves once sent (or handed to the socket). */
  start(address: Address): Promise<Socket[]>;
}

/** Fetch requests naming one large partition `repeats` times, never read (issue: a 256 MiB answer per 4 KB). */
export function duplicatedPartitionFetch(topic: string, options = { connections: 4, requests: 2, repeats: 256 }): Attack {
  return {
    name: `${options.connections} connections x ${options.requests} Fetch naming a 1 MiB partition ${options.repeats} times, never read`,
    async start(address) {
      const sockets = await openSockets(address, options.connections);
      for (const socket of sockets) for (let i = 0; i < options.requests; i++) socket.write(fetchFrame(topic, options.repeats, i));
      return sockets;
    },
  };
}

/** Plain Fetch requests for a 1 MiB partition, pipelined and never read. */
export function neverReadingFetchers(topic: string, options = { connections: 16, requests: 64 }): Attack {
  return {
    name: `${options.connections} connections x ${options.requests} Fetch of a 1 MiB partition, never read`,
    async start(address) {
      const sockets = await openSockets(address, options.connections);
      for (const socket of sockets) for (let i = 0; i < options.requests; i++) socket.write(fetchFrame(topic, 1, i));
      return sockets;
    },
  };
}

/** Frames announcing `announcedBytes` of which only `sentBytes` arrive. */
export function halfFrames(options = { connections: 64, announcedBytes: 100_000_000, sentBytes: 2 * 1024 * 1024 }): Attack {
  return {
    name: `${options.connections} connections x half-sent frame (${options.sentBytes >> 10} KiB of ${options.announcedBytes >> 20} MiB)`,
    async start(address) {
      const sockets = await openSockets(address, options.connections);
      for (const socket of sockets) {
        const prefix = Buffer.alloc(4);
        prefix.writeInt32BE(options.announcedBytes);
        socket.write(prefix);
        socket.write(Buffer.alloc(options.sentBytes, 0x7a));
      }
      return sockets;
    },
  };
}

/** acks=1 Produce requests of ~1 MiB, pipelined, answers never read. */
export function bigProduces(topic: string, options = { connections: 8, requests: 16 }): Attack {
  return {
    name: `${options.connections} connections x ${options.requests} Produce of 1 MiB, never read`,
    async start(address) {
      const sockets = await openSockets(address, options.connections);
      const batch = batchOf(Array.from({ length: 15 }, () => Buffer.alloc(64 * 1024, 0x62)));
      for (const socket of sockets) for (let i = 0; i < options.requests; i++) socket.write(produceFrame(topic, batch, 1, i));
      return sockets;
    },
  };
}

export interface ProbeResult {
  /** Values the broker acknowledged (acks=all). */
  readonly acked: string[];
  /** Requests that got no answer within the probe's patience. */
  readonly unanswered: number;
  /** Slowest Metadata answer: how responsive the broker stayed. */
  readonly maxPingMs: number;
  /** Slowest acks=all Produce answer (includes the fsync, so it also measures the disk under the attack). */
  readonly maxProduceMs: number;
  /** Metadata answers slower than 250 ms: when (ms after the probe started) and how long they took. */
  readonly slowPings: { atMs: number; ms: number }[];
}

async function timed<T>(request: Promise<T>, patienceMs: number): Promise<{ answer: T; ms: number } | null> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), patienceMs);
  });
  const answer = await Promise.race([request, timeout]);
  clearTimeout(timer);
  if (answer === null) {
    request.catch(() => undefined);
    return null;
  }
  return { answer, ms: Date.now() - started };
}

/**
 * A well-behaved client for `duration` ms (or while `duration()` is true): a Metadata request, then one small acks=all record to partition 0 of
 * `topic`, every 50 ms. A request unanswered after `patienceMs` counts as unanswered and ends the probe.
 */
export async function wellBehavedProbe(address: Address, topic: string, duration: number | (() => boolean), patienceMs = 10_000): Promise<ProbeResult> {
  const connection = await BrokerConnection.open(address);
  const acked: string[] = [];
  let maxPingMs = 0;
  let maxProduceMs = 0;
  let unanswered = 0;
  const slowPings: { atMs: number; ms: number }[] = [];
  const started = Date.now();
  const keepGoing = typeof duration === 'number' ? () => Date.now() < started + duration : duration;
  try {
    for (let i = 0; keepGoing(); i++) {
      const ping = await timed(connection.send(ApiKey.Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }), patienceMs);
      if (ping === null) {
        unanswered++;
        break;
      }
      maxPingMs = Math.max(maxPingMs, ping.ms);
      if (ping.ms > 250) slowPings.push({ atMs: Date.now() - started - ping.ms, ms: ping.ms });
      const value = `good-${i}`;
      const produced = await timed(
        connection.send(ApiKey.Produce, 9, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 30000,
          topicData: [{ name: topic, partitionData: [{ index: 0, records: batchOf([Buffer.from(value)]) }] }],
        }),
        patienceMs,
      );
      if (produced === null) {
        unanswered++;
        break;
      }
      maxProduceMs = Math.max(maxProduceMs, produced.ms);
      if (produced.answer.responses[0]?.partitionResponses[0]?.errorCode === 0) acked.push(value);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    connection.close();
  }
  return { acked, unanswered, maxPingMs, maxProduceMs, slowPings };
}

/** Every attack above at once. */
export function allAtOnce(attacks: readonly Attack[]): Attack {
  return {
    name: `all at once: ${attacks.map((attack) => attack.name).join('; ')}`,
    async start(address) {
      const sockets = await Promise.all(attacks.map((attack) => attack.start(address)));
      return sockets.flat();
    },
  };
}
