// Frames for the fuzz test: valid requests of every API at every version (each field at its default, plus
// richer seeds that reach deeper into Produce, Fetch, Metadata and the admin APIs), then mutated — bits flipped,
// integers set to extremes, bytes cut or added, size prefixes that lie — or replaced by random bytes.
import { encodeRequestFrame } from '../../src/protocol/framing.ts';
import { ApiKey, apiByKey, type ApiKey as ApiKeyType, type RequestByApiKey } from '../../src/protocol/messages/generated/index.ts';
import { encodeRecordBatch } from '../../src/protocol/records/index.ts';
import { randomInt, type Random } from '../../src/testkit/random.ts';

/** Fields that make a default request reach real work. */
function richerSeeds(topic: string): { apiKey: ApiKeyType; body: unknown }[] {
  const batch = encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('fuzz'), timestamp: BigInt(Date.now()) }] });
  const fetchPartition = { partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1048576, replicaDirectoryId: Buffer.alloc(16) };
  return [
    { apiKey: ApiKey.Produce, body: { ...apiByKey[ApiKey.Produce].defaultRequest(), acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] } },
    {
      apiKey: ApiKey.Fetch,
      body: { ...apiByKey[ApiKey.Fetch].defaultRequest(), maxWaitMs: 10, maxBytes: 1048576, topics: [{ topic, topicId: Buffer.alloc(16), partitions: [fetchPartition, fetchPartition] }] },
    },
    { apiKey: ApiKey.Metadata, body: { ...apiByKey[ApiKey.Metadata].defaultRequest(), topics: [{ topicId: Buffer.alloc(16), name: topic }] } },
    {
      apiKey: ApiKey.CreateTopics,
      body: { ...apiByKey[ApiKey.CreateTopics].defaultRequest(), topics: [{ name: `${topic}-new`, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }] },
    },
    { apiKey: ApiKey.CreatePartitions, body: { ...apiByKey[ApiKey.CreatePartitions].defaultRequest(), topics: [{ name: topic, count: 3, assignments: null }] } },
    {
      apiKey: ApiKey.ListOffsets,
      body: { ...apiByKey[ApiKey.ListOffsets].defaultRequest(), topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] },
    },
    { apiKey: ApiKey.InitProducerId, body: { ...apiByKey[ApiKey.InitProducerId].defaultRequest(), transactionTimeoutMs: 60000 } },
    { apiKey: ApiKey.JoinGroup, body: { ...apiByKey[ApiKey.JoinGroup].defaultRequest(), groupId: 'fuzz', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(8) }] } },
    { apiKey: ApiKey.DeleteRecords, body: { ...apiByKey[ApiKey.DeleteRecords].defaultRequest(), topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 1n }] }] } },
  ];
}

/** Every (API, version) this build can encode a request for, as frames. Seeds that do not encode are skipped. */
export function seedFrames(topic: string): Buffer[] {
  const frames: Buffer[] = [];
  const add = (apiKey: ApiKeyType, version: number, body: unknown): void => {
    try {
      frames.push(encodeRequestFrame(apiKey, version, frames.length, 'fuzz', body as RequestByApiKey[ApiKeyType]));
    } catch {
      // A seed with a field this version cannot carry: the default seed covers the version.
    }
  };
  for (const api of Object.values(apiByKey)) {
    for (let version = api.minVersion; version <= api.maxVersion; version++) add(api.apiKey as ApiKeyType, version, api.defaultRequest());
  }
  for (const seed of richerSeeds(topic)) {
    const api = apiByKey[seed.apiKey];
    for (let version = api.minVersion; version <= api.maxVersion; version++) add(seed.apiKey, version, seed.body);
  }
  return frames;
}

const EXTREMES = [0x00, 0xff, 0x7f, 0x80, 0x01];

/** One mutation of `frame` (which starts with its int32 size prefix). */
export function mutate(frame: Buffer, random: Random): Buffer {
  const out = Buffer.from(frame);
  const body = (): number => randomInt(random, 4, Math.max(4, out.length - 1));
  switch (randomInt(random, 0, 8)) {
    case 0: {
      // Flip a few bits.
      for (let i = randomInt(random, 1, 4); i > 0; i--) out[body()] ^= 1 << randomInt(random, 0, 7);
      return out;
    }
    case 1: {
      // Bytes set to boundary values.
      for (let i = randomInt(random, 1, 4); i > 0; i--) out[body()] = EXTREMES[randomInt(random, 0, EXTREMES.length - 1)];
      return out;
    }
    case 2: {
      // An int32 somewhere (a length, a count, a partition) set to an extreme.
      const at = randomInt(random, 4, Math.max(4, out.length - 4));
      if (at + 4 <= out.length) out.writeInt32BE([0x7fffffff, -1, -0x80000000, 0x10000, 10_001][randomInt(random, 0, 4)], at);
      return out;
    }
    case 3: {
      // Truncated, size prefix fixed up: the body ends early.
      const cut = randomInt(random, 4, out.length);
      const truncated = out.subarray(0, cut);
      truncated.writeInt32BE(cut - 4, 0);
      return Buffer.from(truncated);
    }
    case 4: {
      // Random bytes appended, size prefix fixed up.
      const extra = Buffer.alloc(randomInt(random, 1, 64));
      for (let i = 0; i < extra.length; i++) extra[i] = randomInt(random, 0, 255);
      const longer = Buffer.concat([out, extra]);
      longer.writeInt32BE(longer.length - 4, 0);
      return longer;
    }
    case 5: {
      // A slice of the body repeated.
      const from = body();
      const to = Math.min(out.length, from + randomInt(random, 1, 32));
      const longer = Buffer.concat([out.subarray(0, to), out.subarray(from, to), out.subarray(to)]);
      longer.writeInt32BE(longer.length - 4, 0);
      return longer;
    }
    case 6: {
      // A size prefix that lies (the connection then holds a half frame or reads into the next one).
      out.writeInt32BE(Math.max(0, frame.length - 4 + randomInt(random, -8, 4096)), 0);
      return out;
    }
    case 7: {
      // The API version, or the API key, changed: a body read with the wrong schema.
      if (random() < 0.5) out.writeInt16BE(randomInt(random, -1, 20), 6);
      else out.writeInt16BE(randomInt(random, 0, 80), 4);
      return out;
    }
    default: {
      // Random bytes behind a correct size prefix.
      const size = randomInt(random, 0, 256);
      const noise = Buffer.alloc(size + 4);
      noise.writeInt32BE(size, 0);
      for (let i = 4; i < noise.length; i++) noise[i] = randomInt(random, 0, 255);
      return noise;
    }
  }
}
