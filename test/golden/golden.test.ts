// Golden frames: request bytes real clients sent and the responses our broker gave them, captured once by
// `capture.ts` and stored under `frames/`. Needs no client at test time. For every client:
// - every request decodes and re-encodes to the identical bytes (records inside are opaque to the codecs);
// - every Produce batch passes the broker's append checks, has a valid CRC, uses the scenario's codec and
//   decodes into exactly the records the capture sent (keys, values, header order and repeats, null values);
// - every response decodes at its version and re-encodes identically, and the batches our broker served back
//   decode into the same records;
// - the capture is complete: at least three independent implementations, and every codec each client offers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiKey,
  ErrorCode,
  batchSpans,
  decodeRecordBatch,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  isCrcValid,
  validateBatchForAppend,
} from '../../src/protocol/index.ts';
import type { DecodedRecord, FetchResponse, MetadataResponse, ProduceRequest } from '../../src/protocol/index.ts';
import { CODEC_NAMES, FRAMES_DIR, loadManifests } from './golden-manifest.ts';
import type { ClientManifest, CodecName, GoldenFrame, ProduceScenario } from './golden-manifest.ts';

/** The clients the capture must contain, with every codec each offers here (see capture/client-drivers.ts). */
const REQUIRED_CLIENTS: Readonly<Record<string, readonly CodecName[]>> = {
  kcat: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
  'python-confluent-kafka': ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
  kafkajs: ['none', 'gzip'],
  'platformatic-kafka': ['none', 'gzip', 'snappy', 'lz4'],
  java: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
};

const manifests = loadManifests();

function read(manifest: ClientManifest, file: string): Buffer {
  return readFileSync(join(FRAMES_DIR, manifest.client, file));
}

/** Where two buffers first differ, with a few bytes of hex on each side, for a readable failure. */
function describeDifference(expected: Buffer, actual: Buffer): string {
  let at = 0;
  while (at < expected.length && at < actual.length && expected[at] === actual[at]) at++;
  const window = (b: Buffer): string => b.subarray(Math.max(0, at - 8), at + 16).toString('hex');
  return `lengths ${expected.length} (captured) vs ${actual.length} (re-encoded); first difference at byte ${at}: captured …${window(expected)}… re-encoded …${window(actual)}…`;
}

function assertSameBytes(captured: Buffer, reencoded: Buffer, where: string): void {
  if (!captured.equals(reencoded)) assert.fail(`${where}: re-encoding is not byte-identical: ${describeDifference(captured, reencoded)}`);
}

function assertSizePrefix(frame: Buffer, where: string): Buffer {
  assert.ok(frame.length >= 4, `${where}: shorter than a size prefix`);
  assert.equal(frame.readInt32BE(0), frame.length - 4, `${where}: size prefix`);
  return frame.subarray(4);
}

/** A decoded record in the manifest's form; a null header value stays null (and fails against the strings sent). */
interface WireRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: ReadonlyArray<readonly [string, string | null]>;
}

function asWire(record: DecodedRecord): WireRecord {
  return {
    key: record.key === null ? null : record.key.toString('utf8'),
    value: record.value === null ? null : record.value.toString('utf8'),
    headers: record.headers.map((h) => [h.key, h.value === null ? null : h.value.toString('utf8')] as const),
  };
}

function codecName(id: number): string {
  return CODEC_NAMES[id] ?? `unknown codec ${id}`;
}

function produceScenarios(manifest: ClientManifest): ProduceScenario[] {
  return manifest.scenarios.filter((s): s is ProduceScenario => s.kind === 'produce');
}

/** The frame's request and response checked as frames; returns the decoded request for further checks. */
function checkFrame(manifest: ClientManifest, frame: GoldenFrame): void {
  const where = `${manifest.client}/${frame.request}`;
  const payload = assertSizePrefix(read(manifest, frame.request), where);
  const decoded = decodeRequestFrame(payload);
  assert.equal(decoded.apiKey, frame.apiKey, `${where}: header requestApiKey`);
  assert.equal(decoded.apiVersion, frame.apiVersion, `${where}: header requestApiVersion`);
  assert.equal(decoded.correlationId, frame.correlationId, `${where}: header correlationId`);

  if (decoded.kind !== 'request') {
    // Clients open with ApiVersions at their newest version; a broker that does not know it answers v0 with
    // UNSUPPORTED_VERSION and the client retries lower. Nothing else may be outside our versions.
    assert.equal(decoded.kind, 'unsupported-version', `${where}: ${decoded.kind} (API key ${decoded.apiKey} v${decoded.apiVersion})`);
    assert.equal(decoded.apiKey, ApiKey.ApiVersions, `${where}: only ApiVersions may arrive at a version we do not know`);
    assert.ok(frame.response !== null, `${where}: no response to the version probe`);
    // Decoded at v0 directly: our codecs have no schema for the probe's version to try first.
    const responseFrame = read(manifest, frame.response);
    const response = decodeResponseFrame(ApiKey.ApiVersions, 0, assertSizePrefix(responseFrame, where));
    assert.equal(response.correlationId, frame.correlationId, `${where}: version probe response correlationId`);
    assert.equal(response.body.errorCode, ErrorCode.UNSUPPORTED_VERSION, `${where}: version probe errorCode`);
    const reencoded = encodeResponseFrame(ApiKey.ApiVersions, 0, response.correlationId, response.body);
    assertSameBytes(responseFrame, reencoded, `${where} (ApiVersions v0 response to the v${frame.apiVersion} probe)`);
    return;
  }

  const reencoded = encodeRequestFrame(decoded.apiKey, decoded.apiVersion, decoded.correlationId, decoded.clientId, decoded.body);
  assertSameBytes(read(manifest, frame.request), reencoded, `${where} (${frame.apiName} v${frame.apiVersion} request)`);

  if (frame.response === null) return;
  const responseWhere = `${manifest.client}/${frame.response}`;
  const responseFrame = read(manifest, frame.response);
  const response = decodeResponseFrame(decoded.apiKey, decoded.apiVersion, assertSizePrefix(responseFrame, responseWhere));
  assert.equal(response.correlationId, frame.correlationId, `${responseWhere}: correlationId`);
  assert.equal(response.version, decoded.apiVersion, `${responseWhere}: decoded at the request's version`);
  const reencodedResponse = encodeResponseFrame(decoded.apiKey, response.version, response.correlationId, response.body);
  assertSameBytes(responseFrame, reencodedResponse, `${responseWhere} (${frame.apiName} v${frame.apiVersion} response)`);
}

interface ProducedBatch {
  readonly where: string;
  readonly topic: string;
  readonly compression: string;
  readonly records: WireRecord[];
}

/** Every batch of every Produce request, each checked as the broker checks it on append. */
function producedBatches(manifest: ClientManifest): ProducedBatch[] {
  const batches: ProducedBatch[] = [];
  for (const frame of manifest.frames) {
    if (frame.apiKey !== ApiKey.Produce) continue;
    const decoded = decodeRequestFrame(read(manifest, frame.request).subarray(4));
    assert.equal(decoded.kind, 'request');
    const body = decoded.body as ProduceRequest;
    for (const topic of body.topicData) {
      for (const partition of topic.partitionData) {
        const where = `${manifest.client}/${frame.request} ${topic.name}[${partition.index}]`;
        assert.ok(partition.records !== null && partition.records.length > 0, `${where}: records are null or empty`);
        const validation = validateBatchForAppend(partition.records);
        if (!validation.ok) assert.fail(`${where}: validateBatchForAppend: ${validation.reason}: ${validation.message}`);
        assert.ok(isCrcValid(partition.records, 0, validation.size), `${where}: crc`);
        const batch = decodeRecordBatch(partition.records);
        assert.equal(batch.records.length, batch.recordsCount, `${where}: recordsCount`);
        batch.records.forEach((record, i) => assert.equal(record.offsetDelta, i, `${where}: record ${i} offsetDelta`));
        batches.push({ where, topic: topic.name, compression: codecName(batch.compression), records: batch.records.map(asWire) });
      }
    }
  }
  return batches;
}

/** Topic ids the client learned from Metadata, so that Fetch v13+ (ids, no names) can be read. */
function topicNamesById(manifest: ClientManifest): Map<string, string> {
  const names = new Map<string, string>();
  for (const frame of manifest.frames) {
    if (frame.apiKey !== ApiKey.Metadata || frame.response === null) continue;
    const response = decodeResponseFrame(ApiKey.Metadata, frame.apiVersion, read(manifest, frame.response).subarray(4));
    for (const topic of (response.body as MetadataResponse).topics) {
      if (topic.name !== null) names.set(topic.topicId.toString('hex'), topic.name);
    }
  }
  return names;
}

/** Records our broker served back, per topic, by offset (a record fetched twice counts once). */
function fetchedRecords(manifest: ClientManifest): Map<string, Map<bigint, WireRecord>> {
  const byTopic = new Map<string, Map<bigint, WireRecord>>();
  const names = topicNamesById(manifest);
  for (const frame of manifest.frames) {
    if (frame.apiKey !== ApiKey.Fetch || frame.response === null) continue;
    const response = decodeResponseFrame(ApiKey.Fetch, frame.apiVersion, read(manifest, frame.response).subarray(4));
    for (const topic of (response.body as FetchResponse).responses) {
      const name: string | undefined = frame.apiVersion >= 13 ? names.get(topic.topicId.toString('hex')) : topic.topic;
      assert.ok(name !== undefined, `${manifest.client}/${frame.response}: topic id ${topic.topicId.toString('hex')} not in any Metadata response`);
      for (const partition of topic.partitions) {
        const where: string = `${manifest.client}/${frame.response} ${name}[${partition.partitionIndex}]`;
        assert.equal(partition.errorCode, 0, `${where}: errorCode`);
        if (partition.records === null) continue;
        // Fetch may end with a partial batch; batchSpans stops before it, as clients do.
        for (const { buf, at, size } of batchSpans(partition.records)) {
          assert.ok(isCrcValid(buf, at, size), `${where}: crc of the batch at byte ${at}`);
          const batch = decodeRecordBatch(buf.subarray(at, at + size));
          const records = byTopic.get(name) ?? new Map<bigint, WireRecord>();
          byTopic.set(name, records);
          for (const record of batch.records) records.set(record.offset, asWire(record));
        }
      }
    }
  }
  return byTopic;
}

test('the capture holds every required client', () => {
  const present = manifests.map((m) => m.client);
  for (const client of Object.keys(REQUIRED_CLIENTS)) assert.ok(present.includes(client), `frames/${client}/manifest.json is missing`);
});

test('at least three independent client implementations are present', () => {
  const implementations = new Set(manifests.map((m) => m.implementation));
  assert.ok(implementations.size >= 3, `implementations: ${[...implementations].join(', ')}`);
});

for (const manifest of manifests) {
  describe(`${manifest.client} (${manifest.version})`, () => {
    test('offers every codec it is required to, each with a produce scenario', () => {
      const required = REQUIRED_CLIENTS[manifest.client] ?? [];
      for (const codec of required) assert.ok(manifest.codecs.includes(codec), `${manifest.client}: codec ${codec} missing from the manifest`);
      for (const codec of manifest.codecs) {
        assert.ok(
          produceScenarios(manifest).some((s) => s.compression === codec),
          `${manifest.client}: no produce scenario for codec ${codec}`,
        );
      }
    });

    describe('frames decode and re-encode byte-identically', () => {
      for (const frame of manifest.frames) {
        test(`${frame.request} (${frame.scenario})`, () => checkFrame(manifest, frame));
      }
    });

    test('every produced batch is valid, uses the scenario codec and holds the records sent', () => {
      const batches = producedBatches(manifest);
      for (const scenario of produceScenarios(manifest)) {
        const mine = batches.filter((b) => b.topic === scenario.topic);
        assert.ok(mine.length > 0, `${manifest.client}: no Produce request for ${scenario.name} (topic ${scenario.topic})`);
        for (const batch of mine) assert.equal(batch.compression, scenario.compression, `${batch.where}: compression codec`);
        assert.deepEqual(
          mine.flatMap((b) => b.records),
          scenario.records,
          `${manifest.client}: ${scenario.name}: records in ${mine.map((b) => b.where).join(', ')}`,
        );
      }
      const known = new Set(produceScenarios(manifest).map((s) => s.topic));
      for (const batch of batches) assert.ok(known.has(batch.topic), `${batch.where}: produced to a topic no scenario names`);
    });

    test('every codec the client offers was seen on the wire', () => {
      const seen = new Set(producedBatches(manifest).map((b) => b.compression));
      for (const codec of manifest.codecs) assert.ok(seen.has(codec), `${manifest.client}: no Produce batch compressed with ${codec}`);
    });

    test('the records our broker served back are the records sent', () => {
      const fetched = fetchedRecords(manifest);
      for (const scenario of produceScenarios(manifest)) {
        const records = fetched.get(scenario.topic);
        assert.ok(records !== undefined, `${manifest.client}: no Fetch response carried ${scenario.topic}`);
        const inOrder = [...records.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
        assert.deepEqual(inOrder, scenario.records, `${manifest.client}: records fetched from ${scenario.topic}`);
      }
    });
  });
}
