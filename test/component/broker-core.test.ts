// The broker over real sockets, driven with the generated codecs: what each API answers, what bad input gets,
// and that a bad connection never disturbs a good one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { ErrorCode } from '../../src/protocol/errors/index.ts';
import { encodeRecordBatch, iterateRecordBatches, CompressionType, writeCrc } from '../../src/protocol/records/index.ts';
import { encodeRequestFrame } from '../../src/protocol/framing.ts';
import { Writer } from '../../src/protocol/wire/writer.ts';

let broker: RunningBroker;

async function open(): Promise<BrokerConnection> {
  const connection = await BrokerConnection.open({ host: '127.0.0.1', port: broker.port });
  await connection.negotiateApiVersions();
  return connection;
}

function batch(values: string[], options: { compression?: CompressionType; producerId?: bigint; baseSequence?: number } = {}): Buffer {
  return encodeRecordBatch({
    records: values.map((value, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(value), timestamp: BigInt(Date.now()) })),
    compression: options.compression ?? CompressionType.none,
    producerId: options.producerId ?? -1n,
    producerEpoch: options.producerId === undefined ? -1 : 0,
    baseSequence: options.baseSequence ?? -1,
  });
}

async function produce(connection: BrokerConnection, topic: string, records: Buffer | null, version = 9, acks = -1) {
  const response = await connection.send(ApiKey.Produce, version, {
    transactionalId: null,
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  return response.responses[0].partitionResponses[0];
}

async function fetchAll(connection: BrokerConnection, topic: string, fetchOffset = 0n, version = 12) {
  const response = await connection.send(ApiKey.Fetch, version, {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 10 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 10 * 1024 * 1024, replicaDirectoryId: Buffer.alloc(16) }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  return response.responses[0].partitions[0];
}

async function createTopic(connection: BrokerConnection, name: string, partitions = 1, configs: { name: string; value: string }[] = []) {
  const response = await connection.send(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  return response.topics[0];
}

before(async () => {
  broker = await startBroker();
});

after(async () => {
  await broker.close();
});

describe('ApiVersions', () => {
  it('advertises Produce from 0 and the handler ranges', async () => {
    const connection = await open();
    const produceRange = connection.apiVersions.get(ApiKey.Produce);
    assert.deepEqual(produceRange, { minVersion: 0, maxVersion: 12 });
    assert.deepEqual(connection.apiVersions.get(ApiKey.Fetch), { minVersion: 4, maxVersion: 17 });
    assert.equal(connection.apiVersions.has(ApiKey.InitProducerId), true);
    connection.close();
  });

  it('answers an unknown newer version with v0 UNSUPPORTED_VERSION and the full list', async () => {
    const connection = await BrokerConnection.open({ host: '127.0.0.1', port: broker.port });
    // ApiVersions v127: a header v2 request with an empty tagged-field body.
    const w = new Writer();
    const sizeAt = w.reserve(4);
    w.int16(ApiKey.ApiVersions).int16(127).int32(77).string('future').uvarint(0).uvarint(0);
    w.patchInt32(sizeAt, w.length - 4);
    const frame = await connection.sendFrame(Buffer.from(w.finish()), ApiKey.ApiVersions, 0);
    assert.equal(frame.readInt32BE(0), 77);
    assert.equal(frame.readInt16BE(4), ErrorCode.UNSUPPORTED_VERSION);
    assert.ok(frame.readInt32BE(6) >= 10, 'the v0 body lists our APIs');
    connection.close();
  });
});

describe('Metadata and topics', () => {
  it('auto-creates a requested topic and describes this node as leader and controller', async () => {
    const connection = await open();
    const response = await connection.send(ApiKey.Metadata, 12, {
      topics: [{ topicId: Buffer.alloc(16), name: 'auto-created' }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(response.controllerId, 1);
    assert.equal(response.brokers[0].port, broker.port);
    assert.equal(response.clusterId, broker.clusterId);
    const topic = response.topics[0];
    assert.equal(topic.errorCode, ErrorCode.NONE);
    assert.equal(topic.partitions.length, 1);
    assert.equal(topic.partitions[0].leaderId, 1);
    assert.notDeepEqual(topic.topicId, Buffer.alloc(16));
    connection.close();
  });

  it('does not auto-create when the client says no', async () => {
    const connection = await open();
    const response = await connection.send(ApiKey.Metadata, 12, {
      topics: [{ topicId: Buffer.alloc(16), name: 'never-created' }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(response.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    connection.close();
  });

  it("refuses a topic that differs from an existing one only by '.' versus '_', as Kafka's controller does", async () => {
    const connection = await open();
    assert.equal((await createTopic(connection, 'orders.eu')).errorCode, ErrorCode.NONE);
    const collides = await createTopic(connection, 'orders_eu');
    assert.equal(collides.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.match(collides.errorMessage ?? '', /collides with existing topic: orders\.eu/);
    // Auto-creation through Metadata is refused the same way, and the colliding topic is not created.
    const metadata = await connection.send(ApiKey.Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: 'orders_eu' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    assert.equal(metadata.topics[0].errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    const lookup = await connection.send(ApiKey.Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: 'orders_eu' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    assert.equal(lookup.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    // Names at the limit of 249 characters are fine; 250 is not.
    assert.equal((await createTopic(connection, 'a'.repeat(249))).errorCode, ErrorCode.NONE);
    const tooLong = await createTopic(connection, 'b'.repeat(250));
    assert.equal(tooLong.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.match(tooLong.errorMessage ?? '', /can't be longer than 249 characters/);
    assert.match((await createTopic(connection, 'bad/name')).errorMessage ?? '', /contains a character other than ASCII alphanumerics/);
    // Growing to the same count says so (not "higher than the requested").
    const same = await connection.send(ApiKey.CreatePartitions, 3, { topics: [{ name: 'orders.eu', count: 1, assignments: null }], timeoutMs: 1000, validateOnly: false });
    assert.equal(same.results[0].errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(same.results[0].errorMessage, 'Topic already has 1 partition(s).');
    // Once the first is deleted, the other spelling can be created.
    const deleted = await connection.send(ApiKey.DeleteTopics, 6, { topics: [{ name: 'orders.eu', topicId: Buffer.alloc(16) }], topicNames: [], timeoutMs: 1000 });
    assert.equal(deleted.responses[0].errorCode, ErrorCode.NONE);
    assert.equal((await createTopic(connection, 'orders_eu')).errorCode, ErrorCode.NONE);
    connection.close();
  });

  it('creates, refuses duplicates and bad replication factors, grows and deletes topics', async () => {
    const connection = await open();
    assert.equal((await createTopic(connection, 'created', 3)).errorCode, ErrorCode.NONE);
    assert.equal((await createTopic(connection, 'created', 3)).errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
    const rf = await connection.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'rf3', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assert.equal(rf.topics[0].errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
    assert.equal((await createTopic(connection, 'bad/name')).errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.equal((await createTopic(connection, 'bad-config', 1, [{ name: 'no.such.config', value: '1' }])).errorCode, ErrorCode.INVALID_CONFIG);

    const grow = await connection.send(ApiKey.CreatePartitions, 3, { topics: [{ name: 'created', count: 5, assignments: null }], timeoutMs: 1000, validateOnly: false });
    assert.equal(grow.results[0].errorCode, ErrorCode.NONE);
    const shrink = await connection.send(ApiKey.CreatePartitions, 3, { topics: [{ name: 'created', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
    assert.equal(shrink.results[0].errorCode, ErrorCode.INVALID_PARTITIONS);

    const deleted = await connection.send(ApiKey.DeleteTopics, 6, { topics: [{ name: 'created', topicId: Buffer.alloc(16) }], topicNames: [], timeoutMs: 1000 });
    assert.equal(deleted.responses[0].errorCode, ErrorCode.NONE);
    const again = await connection.send(ApiKey.DeleteTopics, 6, { topics: [{ name: 'created', topicId: Buffer.alloc(16) }], topicNames: [], timeoutMs: 1000 });
    assert.equal(again.responses[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    connection.close();
  });
});

describe('Produce and Fetch', () => {
  it('round-trips batches of every codec with consecutive offsets', async () => {
    const connection = await open();
    await createTopic(connection, 'round-trip');
    let expectedOffset = 0n;
    for (const compression of [CompressionType.none, CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd]) {
      const result = await produce(connection, 'round-trip', batch(['a', 'b', 'c'], { compression }));
      assert.equal(result.errorCode, ErrorCode.NONE, `codec ${compression}`);
      assert.equal(result.baseOffset, expectedOffset);
      expectedOffset += 3n;
    }
    const fetched = await fetchAll(connection, 'round-trip');
    assert.equal(fetched.errorCode, ErrorCode.NONE);
    assert.equal(fetched.highWatermark, 15n);
    const values = [...iterateRecordBatches(fetched.records as Buffer)].flatMap((b) => b.records.map((r) => `${r.offset}:${r.value?.toString()}`));
    assert.equal(values.length, 15);
    assert.equal(values[0], '0:a');
    assert.equal(values[14], '14:c');
    connection.close();
  });

  it('answers bad batches with Kafka codes and stores nothing from them', async () => {
    const connection = await open();
    await createTopic(connection, 'bad-input');
    const corrupt = batch(['x']);
    corrupt[corrupt.length - 1] ^= 0xff;
    assert.equal((await produce(connection, 'bad-input', corrupt)).errorCode, ErrorCode.CORRUPT_MESSAGE);

    const inconsistent = batch(['x', 'y']);
    inconsistent.writeInt32BE(5, 23); // lastOffsetDelta no longer matches the record count
    writeCrc(inconsistent, 0, inconsistent.length); // a valid CRC, so the inconsistency is what gets caught
    assert.equal((await produce(connection, 'bad-input', inconsistent)).errorCode, ErrorCode.INVALID_RECORD);

    assert.equal((await produce(connection, 'bad-input', null)).errorCode, ErrorCode.INVALID_RECORD);
    assert.equal((await produce(connection, 'no-such-topic', batch(['x']))).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal((await produce(connection, 'bad-input', batch(['x']), 2)).errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.equal((await produce(connection, 'bad-input', batch(['x']), 9, 2)).errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
    assert.equal((await produce(connection, 'bad-input', batch(['x'], { compression: CompressionType.zstd }), 6)).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);

    await createTopic(connection, 'small-messages', 1, [{ name: 'max.message.bytes', value: '100' }]);
    assert.equal((await produce(connection, 'small-messages', batch(['x'.repeat(200)]))).errorCode, ErrorCode.MESSAGE_TOO_LARGE);

    const fetched = await fetchAll(connection, 'bad-input');
    assert.equal(fetched.highWatermark, 0n, 'nothing was stored');
    connection.close();
  });

  it('acks=0 gets no response but stores the batch', async () => {
    const connection = await open();
    await createTopic(connection, 'acks-zero');
    await connection.sendWithoutResponse(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: 0,
      timeoutMs: 1000,
      topicData: [{ name: 'acks-zero', partitionData: [{ index: 0, records: batch(['fire', 'forget']) }] }],
    });
    // The next request on the same connection is answered, and sees the stored batch.
    let fetched = await fetchAll(connection, 'acks-zero');
    for (let i = 0; i < 50 && fetched.highWatermark < 2n; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      fetched = await fetchAll(connection, 'acks-zero');
    }
    assert.equal(fetched.highWatermark, 2n);
    connection.close();
  });

  it('a long-polling fetch returns as soon as data arrives', async () => {
    const consumer = await open();
    const producer = await open();
    await createTopic(producer, 'long-poll');
    const started = Date.now();
    const pending = consumer.send(ApiKey.Fetch, 12, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: 10000,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: 'long-poll', topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await produce(producer, 'long-poll', batch(['wake']));
    const response = await pending;
    assert.ok(Date.now() - started < 5000, 'answered well before maxWaitMs');
    assert.ok((response.responses[0].partitions[0].records?.length ?? 0) > 0);
    consumer.close();
    producer.close();
  });

  it('fetching past the log end is OFFSET_OUT_OF_RANGE; ListOffsets gives earliest, latest and by timestamp', async () => {
    const connection = await open();
    await createTopic(connection, 'offsets');
    const before = BigInt(Date.now()) - 1000n;
    await produce(connection, 'offsets', batch(['a', 'b']));
    const fetched = await fetchAll(connection, 'offsets', 100n);
    assert.equal(fetched.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    const list = await connection.send(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 'offsets', partitions: [-2n, -1n, before].map((timestamp, partitionIndex) => ({ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 + partitionIndex * 0 })) }],
      timeoutMs: 1000,
    });
    const [earliest, latest, byTime] = list.topics[0].partitions;
    assert.equal(earliest.offset, 0n);
    assert.equal(latest.offset, 2n);
    assert.equal(byTime.offset, 0n);
    connection.close();
  });
});

describe('DeleteRecords', () => {
  it('moves the log start offset, refuses offsets past the high watermark, and fetching below it is out of range', async () => {
    const connection = await open();
    await createTopic(connection, 'delete-records');
    await produce(connection, 'delete-records', batch(['a', 'b', 'c', 'd']));
    const deleteBefore = async (offset: bigint) =>
      (await connection.send(ApiKey.DeleteRecords, 2, { topics: [{ name: 'delete-records', partitions: [{ partitionIndex: 0, offset }] }], timeoutMs: 1000 })).topics[0].partitions[0];
    const moved = await deleteBefore(2n);
    assert.equal(moved.errorCode, ErrorCode.NONE);
    assert.equal(moved.lowWatermark, 2n);
    assert.equal((await deleteBefore(10n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal((await deleteBefore(-1n)).lowWatermark, 4n, '-1 deletes up to the high watermark');
    const fetched = await fetchAll(connection, 'delete-records', 0n);
    assert.equal(fetched.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal(fetched.logStartOffset, 4n);
    connection.close();
  });
});

describe('bad connections', () => {
  it('a malformed frame closes only that connection', async () => {
    const good = await open();
    const bad = connect({ host: '127.0.0.1', port: broker.port });
    await new Promise((resolve) => bad.once('connect', resolve));
    const closed = new Promise((resolve) => bad.once('close', resolve));
    // A Produce v9 header followed by garbage where the body should be.
    const w = new Writer();
    const sizeAt = w.reserve(4);
    w.int16(ApiKey.Produce).int16(9).int32(1).string('bad').uvarint(0).raw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    w.patchInt32(sizeAt, w.length - 4);
    bad.write(w.finish());
    await closed;
    const response = await good.send(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    assert.equal(response.brokers.length, 1, 'the good connection still works');
    good.close();
  });

  it('an oversized frame and an unknown API key close the connection before anything is allocated', async () => {
    for (const bytes of [Buffer.from([0x7f, 0xff, 0xff, 0xff]), encodeRequestFrame(ApiKey.ApiVersions, 3, 1, 'x', { clientSoftwareName: 'a', clientSoftwareVersion: 'b' }).fill(0x7f, 4, 6)]) {
      const socket = connect({ host: '127.0.0.1', port: broker.port });
      await new Promise((resolve) => socket.once('connect', resolve));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.write(bytes);
      await closed;
    }
    const good = await open();
    assert.ok(good.apiVersions.size > 5);
    good.close();
  });
});
