// Known-answer tests for the generated codecs: bytes worked out by hand from Kafka's message specs and the
// protocol guide, so that a systematic error (one that a round trip would not notice) fails here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError, Reader } from '../wire/reader.ts';
import { Writer } from '../wire/writer.ts';
import { EncodeError, UnsupportedVersionError } from './runtime.ts';
import {
  ApiKey,
  allApis,
  apiByKey,
  decodeApiVersionsRequest,
  decodeApiVersionsResponse,
  decodeConsumerGroupHeartbeatResponse,
  decodeMetadataRequest,
  decodeProduceRequest,
  decodeTransactionLogValue,
  defaultApiVersionsResponse,
  defaultConsumerGroupHeartbeatResponse,
  defaultFetchResponse,
  defaultFetchResponsePartitionData,
  defaultFetchResponseFetchableTopicResponse,
  defaultMetadataRequest,
  defaultProduceRequest,
  defaultTransactionLogValue,
  encodeApiVersionsRequest,
  encodeApiVersionsResponse,
  encodeConsumerGroupHeartbeatResponse,
  encodeFetchResponse,
  encodeMetadataRequest,
  encodeProduceRequest,
  encodeTransactionLogValue,
  findApi,
  decodeFetchResponse,
} from './generated/index.ts';
import type { ApiVersionsResponse, MetadataRequest, ProduceRequest } from './generated/index.ts';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function encode<T>(fn: (w: Writer, m: T, v: number) => void, message: T, version: number): Buffer {
  const w = new Writer(16);
  fn(w, message, version);
  return Buffer.from(w.finish());
}

describe('registry', () => {
  it('knows the API keys and version ranges of the specs', () => {
    assert.equal(ApiKey.Produce, 0);
    assert.equal(ApiKey.Fetch, 1);
    assert.equal(ApiKey.ApiVersions, 18);
    assert.equal(ApiKey.InitProducerId, 22);
    assert.equal(ApiKey.EndTxn, 26);
    assert.equal(apiByKey[ApiKey.Produce].maxVersion, 12);
    assert.equal(apiByKey[ApiKey.Produce].flexibleMinVersion, 9);
    assert.deepEqual(apiByKey[ApiKey.Produce].deprecatedVersions, { min: 0, max: 6 });
    assert.equal(apiByKey[ApiKey.ConsumerGroupHeartbeat].latestVersionUnstable, true);
    assert.equal(findApi(9999), undefined);
    const keys = allApis.map((a) => a.apiKey);
    assert.deepEqual(keys, [...keys].sort((a, b) => a - b));
  });

  it('picks header versions as Kafka does', () => {
    const produce = apiByKey[ApiKey.Produce];
    assert.equal(produce.requestHeaderVersion(8), 1);
    assert.equal(produce.requestHeaderVersion(9), 2);
    assert.equal(produce.responseHeaderVersion(8), 0);
    assert.equal(produce.responseHeaderVersion(9), 1);
    const shutdown = apiByKey[ApiKey.ControlledShutdown];
    assert.equal(shutdown.requestHeaderVersion(0), 0);
    assert.equal(shutdown.requestHeaderVersion(1), 1);
    const apiVersions = apiByKey[ApiKey.ApiVersions];
    assert.equal(apiVersions.requestHeaderVersion(3), 2);
    assert.equal(apiVersions.responseHeaderVersion(3), 0);
    assert.equal(apiVersions.responseHeaderVersion(4), 0);
  });
});

describe('known answers', () => {
  it('ApiVersions v0 request is empty', () => {
    assert.deepEqual(encode(encodeApiVersionsRequest, { clientSoftwareName: '', clientSoftwareVersion: '' }, 0), Buffer.alloc(0));
  });

  it('ApiVersions v0 request drops the ignorable client software name', () => {
    assert.deepEqual(encode(encodeApiVersionsRequest, { clientSoftwareName: 'x', clientSoftwareVersion: 'y' }, 0), Buffer.alloc(0));
  });

  it('ApiVersions v3 request: compact strings and an empty tag section', () => {
    const bytes = encode(encodeApiVersionsRequest, { clientSoftwareName: 'seqlog', clientSoftwareVersion: '1.0' }, 3);
    assert.deepEqual(bytes, hex('07 7365716c6f67 04 312e30 00'));
    assert.deepEqual(decodeApiVersionsRequest(new Reader(bytes), 3), { clientSoftwareName: 'seqlog', clientSoftwareVersion: '1.0' });
  });

  it('Metadata v1 request: int32 array of int16 strings; null means all topics', () => {
    const message: MetadataRequest = { ...defaultMetadataRequest(), topics: [{ topicId: Buffer.alloc(16), name: 'foo' }] };
    assert.deepEqual(encode(encodeMetadataRequest, message, 1), hex('00000001 0003 666f6f'));
    assert.deepEqual(encode(encodeMetadataRequest, { ...message, topics: null }, 1), hex('ffffffff'));
    assert.deepEqual(decodeMetadataRequest(new Reader(hex('ffffffff')), 1).topics, null);
    // v0 has no null: an empty array meant "all topics" there.
    assert.throws(() => encode(encodeMetadataRequest, { ...message, topics: null }, 0), EncodeError);
    assert.throws(() => decodeMetadataRequest(new Reader(hex('ffffffff')), 0), DecodeError);
  });

  it('Metadata v4 request writes allowAutoTopicCreation; v3 refuses a non-default one', () => {
    const message: MetadataRequest = { ...defaultMetadataRequest(), topics: [], allowAutoTopicCreation: false };
    assert.deepEqual(encode(encodeMetadataRequest, message, 4), hex('00000000 00'));
    assert.throws(() => encode(encodeMetadataRequest, message, 3), UnsupportedVersionError);
    assert.deepEqual(encode(encodeMetadataRequest, { ...message, allowAutoTopicCreation: true }, 3), hex('00000000'));
  });

  it('Produce v3 request: nullable transactional id and nullable records', () => {
    const message: ProduceRequest = {
      ...defaultProduceRequest(),
      transactionalId: 'tx',
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: 't', partitionData: [{ index: 2, records: hex('abcd') }, { index: 3, records: null }] }],
    };
    const expected = hex('0002 7478 ffff 00007530 00000001 0001 74 00000002 00000002 00000002 abcd 00000003 ffffffff');
    const bytes = encode(encodeProduceRequest, message, 3);
    assert.deepEqual(bytes, expected);
    assert.deepEqual(decodeProduceRequest(new Reader(bytes), 3), message);
    assert.throws(() => encode(encodeProduceRequest, message, 2), UnsupportedVersionError);
  });

  it('Produce v9 request: compact forms, null records as 0, tag sections at each level', () => {
    const message: ProduceRequest = {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records: null }] }],
    };
    const bytes = encode(encodeProduceRequest, message, 9);
    assert.deepEqual(bytes, hex('00 0001 000003e8 02 02 74 02 00000000 00 00 00 00'));
    assert.deepEqual(decodeProduceRequest(new Reader(bytes), 9), message);
  });

  it('ApiVersions v3 response: tagged fields written only when not default, in tag order', () => {
    const message: ApiVersionsResponse = {
      ...defaultApiVersionsResponse(),
      apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 11 }],
      throttleTimeMs: 0,
      finalizedFeaturesEpoch: 5n,
      zkMigrationReady: true,
    };
    const bytes = encode(encodeApiVersionsResponse, message, 3);
    // errorCode, compact array(1), key entry + its empty tags, throttle, 2 tagged fields: tag 1 (8 bytes), tag 3 (1 byte)
    assert.deepEqual(bytes, hex('0000 02 0000 0003 000b 00 00000000 02 01 08 0000000000000005 03 01 01'));
    assert.deepEqual(decodeApiVersionsResponse(new Reader(bytes), 3), message);
    const plain = { ...message, finalizedFeaturesEpoch: -1n, zkMigrationReady: false };
    assert.deepEqual(encode(encodeApiVersionsResponse, plain, 3), hex('0000 02 0000 0003 000b 00 00000000 00'));
  });

  it('skips unknown tagged fields, at the top level and inside structs', () => {
    // apiKeys entry carries unknown tag 7 (3 bytes); top level carries unknown tag 9 (2 bytes) and known tag 3.
    const bytes = hex('0000 02 0000 0003 000b 01 07 03 aabbcc 00000000 02 03 01 01 09 02 ffff');
    const r = new Reader(bytes);
    const decoded = decodeApiVersionsResponse(r, 3);
    assert.equal(r.remaining, 0);
    assert.deepEqual(decoded.apiKeys, [{ apiKey: 0, minVersion: 3, maxVersion: 11 }]);
    assert.equal(decoded.zkMigrationReady, true);
  });

  it('rejects a known tagged field whose declared size does not match its value', () => {
    const bytes = hex('0000 00 00000000 01 03 02 0100');
    assert.throws(() => decodeApiVersionsResponse(new Reader(bytes), 3), DecodeError);
  });

  it('nullable struct: int8 marker -1 for null, 1 before a present struct', () => {
    const base = defaultConsumerGroupHeartbeatResponse();
    const nullBytes = encode(encodeConsumerGroupHeartbeatResponse, base, 0);
    assert.equal(nullBytes.at(-2), 0xff);
    const withAssignment = { ...base, assignment: { topicPartitions: [] } };
    const bytes = encode(encodeConsumerGroupHeartbeatResponse, withAssignment, 0);
    assert.deepEqual(bytes.subarray(nullBytes.length - 2), hex('01 01 00 00'));
    assert.deepEqual(decodeConsumerGroupHeartbeatResponse(new Reader(bytes), 0), withAssignment);
  });

  it('Fetch v12 response: tagged struct fields only when not default', () => {
    const partition = { ...defaultFetchResponsePartitionData(), records: hex('00') };
    const message = { ...defaultFetchResponse(), responses: [{ ...defaultFetchResponseFetchableTopicResponse(), topic: 't', partitions: [partition] }] };
    const plain = encode(encodeFetchResponse, message, 12);
    const led = { ...partition, currentLeader: { leaderId: 1, leaderEpoch: 7 } };
    const withLeader = encode(encodeFetchResponse, { ...message, responses: [{ ...message.responses[0], partitions: [led] }] }, 12);
    // tag 1, size 9: leaderId int32, leaderEpoch int32, empty tag section
    assert.equal(withLeader.length, plain.length + 11);
    assert.ok(withLeader.includes(hex('01 01 09 00000001 00000007 00')));
    assert.deepEqual(decodeFetchResponse(new Reader(withLeader), 12).responses[0].partitions[0].currentLeader, { leaderId: 1, leaderEpoch: 7 });
  });

  it('TransactionLogValue v1 carries tagged producer ids; v0 does not', () => {
    const value = { ...defaultTransactionLogValue(), producerId: 9n, previousProducerId: 8n, transactionPartitions: [] };
    const v1 = encode(encodeTransactionLogValue, value, 1);
    assert.deepEqual(decodeTransactionLogValue(new Reader(v1), 1), value);
    assert.throws(() => encode(encodeTransactionLogValue, value, 0), UnsupportedVersionError);
  });
});

describe('malformed input', () => {
  it('a truncated buffer throws DecodeError at every cut', () => {
    const message: ProduceRequest = {
      transactionalId: 'tx',
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'topic', partitionData: [{ index: 0, records: hex('0102030405') }] }],
    };
    for (const version of [3, 9]) {
      const bytes = encode(encodeProduceRequest, message, version);
      for (let cut = 0; cut < bytes.length; cut++) {
        assert.throws(() => decodeProduceRequest(new Reader(bytes.subarray(0, cut)), version), DecodeError, `v${version} cut at ${cut}`);
      }
    }
  });

  it('a huge array length on a short buffer throws before allocating', () => {
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(() => decodeMetadataRequest(new Reader(hex('7fffffff 0001 61')), 1), /cannot fit/);
    assert.throws(() => decodeMetadataRequest(new Reader(hex('ffffffff0f 00')), 9), /cannot fit/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20);
  });

  it('the element minimum counts every field of a struct', () => {
    // Produce v3 topic entries need at least 2 (name) + 4 (array) bytes: 2 entries cannot fit in 11 bytes.
    const bytes = hex('ffff 0001 00000000 00000002 0000 00000000 00');
    assert.throws(() => decodeProduceRequest(new Reader(bytes), 3), /cannot fit/);
  });

  it('null in a non-nullable string is a DecodeError', () => {
    assert.throws(() => decodeMetadataRequest(new Reader(hex('00000001 ffff')), 1), /non-nullable field/);
  });

  it('unknown versions are refused both ways', () => {
    assert.throws(() => decodeProduceRequest(new Reader(Buffer.alloc(64)), 13), UnsupportedVersionError);
    assert.throws(() => encode(encodeProduceRequest, defaultProduceRequest(), -1), UnsupportedVersionError);
  });
});
