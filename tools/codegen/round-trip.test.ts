// Property: for every message of every API (and the header, data and internal types), at every valid version,
// a random message valid for that version survives encode -> decode unchanged, and re-encoding the decoded
// message gives the same bytes. The arbitraries come from the same model the generator used, so a field the
// generated code forgets, misplaces or mis-encodes for some version shows up here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { loadSpecs } from './load.ts';
import { buildModel } from './model.ts';
import type { MessageModel } from './model.ts';
import { kebabCase } from './names.ts';
import { messageArbitrary } from './arbitrary.ts';
import { allApis } from '../../src/protocol/messages/generated/index.ts';
import { Reader } from '../../src/protocol/wire/reader.ts';
import { Writer } from '../../src/protocol/wire/writer.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const models = loadSpecs(join(root, 'spec', 'kafka-protocol')).map(buildModel);
const RUNS = Number(process.env.ROUND_TRIP_RUNS ?? 25);

type Encode = (w: Writer, m: unknown, version: number) => void;
type Decode = (r: Reader, version: number) => unknown;

function checkRoundTrip(message: MessageModel, encode: Encode, decode: Decode): number {
  let cases = 0;
  for (let version = message.validVersions.lowest; version <= message.validVersions.highest; version++) {
    fc.assert(
      fc.property(messageArbitrary(message, version), (value) => {
        const w = new Writer(64);
        encode(w, value, version);
        const bytes = Buffer.from(w.finish());
        const r = new Reader(bytes);
        const decoded = decode(r, version);
        assert.equal(r.remaining, 0, `${message.name} v${version}: ${r.remaining} bytes left after decoding`);
        assert.deepStrictEqual(decoded, value, `${message.name} v${version}: decoded value differs`);
        const again = new Writer(64);
        encode(again, decoded, version);
        assert.deepStrictEqual(Buffer.from(again.finish()), bytes, `${message.name} v${version}: re-encoding differs`);
      }),
      { numRuns: RUNS, seed: 0x5e9106 + version },
    );
    cases++;
  }
  return cases;
}

describe('generated codecs round-trip every version', () => {
  const requests = new Map(models.filter((m) => m.kind === 'request').map((m) => [m.apiKey, m]));
  const responses = new Map(models.filter((m) => m.kind === 'response').map((m) => [m.apiKey, m]));

  it('covers every API of the spec folder', () => {
    assert.equal(allApis.length, requests.size);
    assert.ok(allApis.length >= 80, `only ${allApis.length} APIs generated`);
  });

  for (const api of allApis) {
    it(`${api.apiKey} ${api.name} request and response`, () => {
      const request = requests.get(api.apiKey);
      const response = responses.get(api.apiKey);
      assert.ok(request && response, `no spec for API key ${api.apiKey}`);
      assert.equal(api.minVersion, request.validVersions.lowest);
      assert.equal(api.maxVersion, request.validVersions.highest);
      const n = checkRoundTrip(request, api.encodeRequest.bind(api), api.decodeRequest.bind(api));
      checkRoundTrip(response, api.encodeResponse.bind(api), api.decodeResponse.bind(api));
      assert.equal(n, api.maxVersion - api.minVersion + 1);
    });
  }

  for (const message of models.filter((m) => m.kind === 'header' || m.kind === 'data')) {
    it(`${message.name} (${message.kind})`, async () => {
      const folder = message.kind === 'header' ? '' : message.internal ? 'internal/' : 'data/';
      const file = `../../src/protocol/messages/generated/${folder}${kebabCase(message.name)}.ts`;
      const mod = (await import(file)) as Record<string, unknown>;
      const encode = mod[`encode${message.name}`];
      const decode = mod[`decode${message.name}`];
      assert.equal(typeof encode, 'function', `${file} exports encode${message.name}`);
      assert.equal(typeof decode, 'function', `${file} exports decode${message.name}`);
      checkRoundTrip(message, encode as Encode, decode as Decode);
    });
  }
});
