// Differential check against an independent implementation: @platformatic/kafka's hand-written request builders
// and response parsers for the flexible versions a modern client uses. Their requests must decode with our
// codecs to the same values (and re-encode to the same bytes); our responses must parse with theirs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Reader as PeerReader, apiVersionsV4, findCoordinatorV6, initProducerIdV5, metadataV12 } from '@platformatic/kafka';
import { Reader } from '../wire/reader.ts';
import { Writer } from '../wire/writer.ts';
import { ZERO_UUID } from './runtime.ts';
import {
  decodeApiVersionsRequest,
  decodeFindCoordinatorRequest,
  decodeInitProducerIdRequest,
  decodeMetadataRequest,
  defaultApiVersionsResponse,
  defaultFindCoordinatorRequest,
  defaultMetadataRequest,
  defaultMetadataResponse,
  defaultMetadataResponseTopic,
  defaultMetadataResponsePartition,
  encodeApiVersionsRequest,
  encodeApiVersionsResponse,
  encodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
  encodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
  encodeMetadataRequest,
  encodeMetadataResponse,
} from './generated/index.ts';

function ours<T>(fn: (w: Writer, m: T, v: number) => void, message: T, version: number): Buffer {
  const w = new Writer(64);
  fn(w, message, version);
  return Buffer.from(w.finish());
}

function decodeAll<T>(fn: (r: Reader, v: number) => T, bytes: Buffer, version: number): T {
  const r = new Reader(bytes);
  const value = fn(r, version);
  assert.equal(r.remaining, 0, 'every byte consumed');
  return value;
}

describe('requests built by @platformatic/kafka decode with our codecs', () => {
  it('ApiVersions v4', () => {
    const theirs = apiVersionsV4.createRequest('seqlog-test', '0.1.0').buffer;
    const decoded = decodeAll(decodeApiVersionsRequest, theirs, 4);
    assert.deepEqual(decoded, { clientSoftwareName: 'seqlog-test', clientSoftwareVersion: '0.1.0' });
    assert.deepEqual(ours(encodeApiVersionsRequest, decoded, 4), theirs);
  });

  it('Metadata v12', () => {
    const theirs = metadataV12.createRequest(['orders', 'payments'], true, true).buffer;
    const decoded = decodeAll(decodeMetadataRequest, theirs, 12);
    assert.deepEqual(decoded, {
      ...defaultMetadataRequest(),
      topics: [
        { topicId: ZERO_UUID, name: 'orders' },
        { topicId: ZERO_UUID, name: 'payments' },
      ],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: true,
    });
    assert.deepEqual(ours(encodeMetadataRequest, decoded, 12), theirs);
  });

  it('InitProducerId v5', () => {
    const theirs = initProducerIdV5.createRequest('tx-1', 60000, 42n, 3).buffer;
    const decoded = decodeAll(decodeInitProducerIdRequest, theirs, 5);
    assert.deepEqual(decoded, { transactionalId: 'tx-1', transactionTimeoutMs: 60000, producerId: 42n, producerEpoch: 3 });
    assert.deepEqual(ours(encodeInitProducerIdRequest, decoded, 5), theirs);
  });

  it('FindCoordinator v6', () => {
    const theirs = findCoordinatorV6.createRequest(1, ['tx-1', 'tx-2']).buffer;
    const decoded = decodeAll(decodeFindCoordinatorRequest, theirs, 6);
    assert.deepEqual(decoded, { ...defaultFindCoordinatorRequest(), keyType: 1, coordinatorKeys: ['tx-1', 'tx-2'] });
    assert.deepEqual(ours(encodeFindCoordinatorRequest, decoded, 6), theirs);
  });
});

describe('responses encoded by us parse with @platformatic/kafka', () => {
  it('ApiVersions v4', () => {
    const body = ours(encodeApiVersionsResponse, {
      ...defaultApiVersionsResponse(),
      apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 11 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }],
      throttleTimeMs: 7,
    }, 4);
    const parsed = apiVersionsV4.parseResponse(1, 18, 4, PeerReader.from(body));
    assert.equal(parsed.errorCode, 0);
    assert.equal(parsed.throttleTimeMs, 7);
    assert.deepEqual(parsed.apiKeys.map((k) => [k.apiKey, k.minVersion, k.maxVersion]), [[0, 3, 11], [18, 0, 4]]);
  });

  it('InitProducerId v5', () => {
    const body = ours(encodeInitProducerIdResponse, { throttleTimeMs: 0, errorCode: 0, producerId: 1234567890123n, producerEpoch: 9 }, 5);
    const reader = PeerReader.from(body);
    const parsed = initProducerIdV5.parseResponse(1, 22, 5, reader);
    assert.deepEqual(parsed, { throttleTimeMs: 0, errorCode: 0, producerId: 1234567890123n, producerEpoch: 9 });
  });

  it('FindCoordinator v6', () => {
    const body = ours(encodeFindCoordinatorResponse, {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      nodeId: 0,
      host: '',
      port: 0,
      coordinators: [{ key: 'tx-1', nodeId: 1, host: '127.0.0.1', port: 9092, errorCode: 0, errorMessage: null }],
    }, 6);
    const parsed = findCoordinatorV6.parseResponse(1, 10, 6, PeerReader.from(body));
    assert.deepEqual(parsed.coordinators, [{ key: 'tx-1', nodeId: 1, host: '127.0.0.1', port: 9092, errorCode: 0, errorMessage: null }]);
  });

  it('Metadata v12', () => {
    const body = ours(encodeMetadataResponse, {
      ...defaultMetadataResponse(),
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
      clusterId: 'cluster',
      controllerId: 1,
      topics: [{
        ...defaultMetadataResponseTopic(),
        name: 'orders',
        topicId: Buffer.alloc(16, 1),
        partitions: [{ ...defaultMetadataResponsePartition(), partitionIndex: 0, leaderId: 1, leaderEpoch: 5, replicaNodes: [1], isrNodes: [1] }],
      }],
    }, 12);
    const parsed = metadataV12.parseResponse(1, 3, 12, PeerReader.from(body));
    assert.equal(parsed.clusterId, 'cluster');
    assert.equal(parsed.controllerId, 1);
    assert.deepEqual(parsed.brokers, [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }]);
    assert.equal(parsed.topics[0].name, 'orders');
    const p = parsed.topics[0].partitions[0];
    assert.deepEqual([p.partitionIndex, p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes], [0, 1, 5, [1], [1]]);
  });
});
