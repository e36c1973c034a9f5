import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_MAX_FRAME_BYTES,
  FrameError,
  FrameSplitter,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeRequestFrameChunks,
  encodeResponseFrame,
  encodeResponseFrameChunks,
  peekCorrelationId,
  readRequestHeader,
} from './framing.ts';
import { DecodeError } from './wire/reader.ts';
import type { WriterMemory } from './wire/writer.ts';
import { defaultFetchResponse } from './messages/generated/01-fetch.ts';
import { ApiKey, defaultApiVersionsResponse, defaultControlledShutdownRequest, defaultMetadataRequest, defaultProduceRequest } from './messages/generated/index.ts';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function sizePrefixed(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

describe('FrameSplitter', () => {
  it('reassembles frames across arbitrary chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 20 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => sizePrefixed(Buffer.from(p))));
          const splitter = new FrameSplitter(64);
          const out: Buffer[] = [];
          let at = 0;
          let k = 0;
          while (at < stream.length) {
            const n = cuts[k++ % cuts.length];
            out.push(...splitter.push(stream.subarray(at, at + n)));
            at += n;
          }
          assert.deepEqual(out.map((b) => Buffer.from(b)), payloads.map((p) => Buffer.from(p)));
          assert.equal(splitter.buffered, 0);
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });

  it('returns several frames from one chunk without copying them', () => {
    const chunk = Buffer.concat([sizePrefixed(hex('0102')), sizePrefixed(hex('03')), hex('000000')]);
    const splitter = new FrameSplitter();
    const frames = splitter.push(chunk);
    assert.deepEqual(frames, [hex('0102'), hex('03')]);
    assert.equal(frames[0].buffer, chunk.buffer);
    assert.equal(splitter.buffered, 3);
    assert.deepEqual(splitter.push(hex('00')), [Buffer.alloc(0)]);
  });

  it('refuses a size above the maximum before the body arrives', () => {
    const splitter = new FrameSplitter(10);
    assert.deepEqual(splitter.push(hex('0000000a')), []);
    assert.deepEqual(splitter.push(Buffer.alloc(10)), [Buffer.alloc(10)]);
    assert.throws(() => splitter.push(hex('0000000b')), FrameError);
    assert.throws(() => splitter.push(Buffer.alloc(1)), FrameError, 'stays failed');
  });

  it('refuses negative sizes', () => {
    assert.throws(() => new FrameSplitter().push(hex('ffffffff')), /invalid frame size -1/);
    assert.throws(() => new FrameSplitter().push(hex('80')).concat(new FrameSplitter().push(hex('80000000'))), FrameError);
  });

  it('defaults to socket.request.max.bytes', () => {
    assert.equal(new FrameSplitter().maxFrameBytes, 100 * 1024 * 1024);
    assert.equal(DEFAULT_MAX_FRAME_BYTES, 104857600);
    assert.throws(() => new FrameSplitter().push(hex('06400001')), FrameError);
  });
});

describe('request frames', () => {
  it('ApiVersions v0: header v1 (key, version, correlation id, int16 client id), empty body', () => {
    const frame = encodeRequestFrame(ApiKey.ApiVersions, 0, 1, 'c', { clientSoftwareName: '', clientSoftwareVersion: '' });
    assert.deepEqual(frame, hex('0000000b 0012 0000 00000001 0001 63'));
  });

  it('ApiVersions v3: header v2 keeps the int16 client id and adds a tag section', () => {
    const frame = encodeRequestFrame(ApiKey.ApiVersions, 3, 7, 'ab', { clientSoftwareName: 'seqlog', clientSoftwareVersion: '1.0' });
    assert.deepEqual(frame, hex('00000019 0012 0003 00000007 0002 6162 00 07 7365716c6f67 04 312e30 00'));
    const decoded = decodeRequestFrame(frame.subarray(4));
    assert.equal(decoded.kind, 'request');
    if (decoded.kind !== 'request' || decoded.apiKey !== ApiKey.ApiVersions) throw new Error('unreachable');
    assert.equal(decoded.correlationId, 7);
    assert.equal(decoded.clientId, 'ab');
    assert.equal(decoded.headerVersion, 2);
    assert.deepEqual(decoded.body, { clientSoftwareName: 'seqlog', clientSoftwareVersion: '1.0' });
  });

  it('ControlledShutdown v0 uses request header v0 (no client id)', () => {
    const frame = encodeRequestFrame(ApiKey.ControlledShutdown, 0, 5, 'ignored', { ...defaultControlledShutdownRequest(), brokerId: 3 });
    assert.deepEqual(frame, hex('0000000c 0007 0000 00000005 00000003'));
    const info = readRequestHeader(frame.subarray(4));
    assert.equal(info.headerVersion, 0);
    assert.equal(info.header.clientId, '');
    assert.equal(info.bodyOffset, 8);
  });

  it('a null client id is written as -1', () => {
    const frame = encodeRequestFrame(ApiKey.Metadata, 1, 2, null, { ...defaultMetadataRequest(), topics: null });
    assert.deepEqual(frame, hex('0000000e 0003 0001 00000002 ffff ffffffff'));
  });

  it('tells an unknown API key and an unsupported version apart from a malformed body', () => {
    const unknown = decodeRequestFrame(hex('03e7 0000 0000002a 0001 78'));
    assert.equal(unknown.kind, 'unknown-api-key');
    assert.equal(unknown.correlationId, 42);
    assert.equal(unknown.clientId, 'x');

    // ApiVersions v99 from a newer client: flexible header (v2), body we cannot read.
    const future = decodeRequestFrame(hex('0012 0063 00000009 0001 78 00 ffff'));
    assert.equal(future.kind, 'unsupported-version');
    assert.equal(future.apiKey, ApiKey.ApiVersions);
    assert.equal(future.apiVersion, 99);
    assert.equal(future.correlationId, 9);

    const produceV0 = encodeRequestFrame(ApiKey.Produce, 3, 1, 'c', defaultProduceRequest());
    assert.equal(decodeRequestFrame(produceV0.subarray(4)).kind, 'request');
    assert.throws(() => decodeRequestFrame(produceV0.subarray(4, produceV0.length - 1)), DecodeError);
    assert.throws(() => decodeRequestFrame(hex('0000 03')), DecodeError, 'truncated header');
  });
});

describe('response frames', () => {
  it('ApiVersions always uses response header v0, even when flexible', () => {
    const body = { ...defaultApiVersionsResponse(), errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] };
    const v3 = encodeResponseFrame(ApiKey.ApiVersions, 3, 11, body);
    assert.deepEqual(v3, hex('00000013 0000000b 0023 02 0012 0000 0004 00 00000000 00'));
    const v0 = encodeResponseFrame(ApiKey.ApiVersions, 0, 11, body);
    assert.deepEqual(v0, hex('00000010 0000000b 0023 00000001 0012 0000 0004'));
    assert.equal(peekCorrelationId(v0.subarray(4)), 11);
  });

  it('flexible responses get header v1 (a tag section after the correlation id)', () => {
    const frame = encodeResponseFrame(ApiKey.Metadata, 9, 3, {
      throttleTimeMs: 0,
      brokers: [],
      clusterId: null,
      controllerId: -1,
      topics: [],
      clusterAuthorizedOperations: -2147483648,
    });
    assert.deepEqual(frame.subarray(0, 9), hex('00000015 00000003 00'));
    const decoded = decodeResponseFrame(ApiKey.Metadata, 9, frame.subarray(4));
    assert.equal(decoded.correlationId, 3);
    assert.equal(decoded.body.controllerId, -1);
  });

  it('an ApiVersions response that only parses at v0 is read at v0, as Kafka clients do', () => {
    const body = { ...defaultApiVersionsResponse(), errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }] };
    const v0 = encodeResponseFrame(ApiKey.ApiVersions, 0, 4, body);
    const decoded = decodeResponseFrame(ApiKey.ApiVersions, 3, v0.subarray(4));
    assert.equal(decoded.version, 0);
    assert.equal(decoded.body.errorCode, 35);
    assert.deepEqual(decoded.body.apiKeys, body.apiKeys);
  });

  it('a gathered answer has the bytes of the copied one, its large byte fields referenced, not copied', () => {
    const partition = (index: number, records: Buffer) => ({
      partitionIndex: index,
      errorCode: 0,
      highWatermark: 10n,
      lastStableOffset: 10n,
      logStartOffset: 0n,
      divergingEpoch: { epoch: -1, endOffset: -1n },
      currentLeader: { leaderId: -1, leaderEpoch: -1 },
      snapshotId: { endOffset: -1n, epoch: -1 },
      abortedTransactions: null,
      preferredReadReplica: -1,
      records,
    });
    const large = [Buffer.alloc(5000, 1), Buffer.alloc(4096, 2)];
    const small = Buffer.alloc(100, 3);
    const body = {
      ...defaultFetchResponse(),
      responses: [{ topic: 't', topicId: Buffer.alloc(16), partitions: [partition(0, large[0]), partition(1, small), partition(2, large[1])] }],
    };
    for (const version of [4, 12, 16]) {
      const copied = encodeResponseFrame(ApiKey.Fetch, version, 7, body);
      const chunks = encodeResponseFrameChunks(ApiKey.Fetch, version, 7, body, 4096);
      assert.deepEqual(Buffer.concat(chunks), copied, `v${version}`);
      assert.equal(chunks.filter((chunk) => chunk === large[0] || chunk === large[1]).length, 2, `v${version}: both large fields are the caller's buffers`);
      // Header+partition 0, records 0, partitions 1-2 (small records copied), records 2, and for flexible versions
      // the tag sections after it.
      assert.equal(chunks.length, version >= 12 ? 5 : 4, `v${version}: the small field is copied into the bytes around it`);
    }
    const none = encodeResponseFrameChunks(ApiKey.Fetch, 12, 7, { ...defaultFetchResponse(), responses: [] }, 4096);
    assert.deepEqual(Buffer.concat(none), encodeResponseFrame(ApiKey.Fetch, 12, 7, { ...defaultFetchResponse(), responses: [] }));
  });
});

describe('request frames in chunks', () => {
  it('write large record batches from their own memory, byte for byte the frame a copy would make', () => {
    const taken: Buffer[] = [];
    const given: Uint8Array[] = [];
    const memory: WriterMemory = { take: (bytes) => (taken.push(Buffer.alloc(bytes)), taken[taken.length - 1]), give: (bytes) => given.push(bytes) };
    const large = [Buffer.alloc(9000, 1), Buffer.alloc(20_000, 2)];
    const small = Buffer.alloc(100, 3);
    const body = {
      ...defaultProduceRequest(),
      acks: -1,
      timeoutMs: 30_000,
      topicData: [
        { name: 'a', partitionData: [{ index: 0, records: large[0] }, { index: 1, records: small }] },
        { name: 'b', partitionData: [{ index: 0, records: large[1] }] },
      ],
    };
    for (const version of [3, 8, 9, 12]) {
      taken.length = 0;
      const chunks = encodeRequestFrameChunks(ApiKey.Produce, version, 11, 'client', body, { memory, sizeHint: 512, spliceAtLeast: 8192 });
      assert.deepEqual(Buffer.concat(chunks), encodeRequestFrame(ApiKey.Produce, version, 11, 'client', body), `v${version}`);
      assert.equal(chunks.filter((chunk) => chunk === large[0] || chunk === large[1]).length, 2, `v${version}: both large batches are the caller's buffers`);
      assert.ok(!chunks.includes(small), `v${version}: the small batch is copied`);
      assert.equal(taken.length, 1, `v${version}: the copied bytes fit the size hint`);
      assert.equal(chunks[0].buffer, taken[0].buffer, `v${version}: the first chunk views the memory taken, the one to give back`);
    }
    assert.equal(given.length, 0, 'nothing is given back by encoding');
  });
});
