import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSpec, stripLineComments } from './load.ts';
import { buildModel } from './model.ts';
import { Versions } from './versions.ts';
import { camelCase, kebabCase, structTypeName } from './names.ts';
import { generate } from './generate.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');

describe('load', () => {
  it('strips // comments but not // inside strings', () => {
    const text = '// license\n{ "a": "http://x", // trailing\n "b": "q\\"//" }\n';
    assert.deepEqual(JSON.parse(stripLineComments(text)), { a: 'http://x', b: 'q"//' });
  });

  it('rejects a spec without fields, naming the file', () => {
    assert.throws(() => parseSpec('{ "name": "X", "type": "data", "validVersions": "0" }', 'x.json'), /x\.json/);
  });
});

describe('versions', () => {
  it('parses Kafka version ranges', () => {
    assert.equal(Versions.parse('3+', Versions.NONE).toString(), '3+');
    assert.equal(Versions.parse('0-7', Versions.NONE).highest, 7);
    assert.equal(Versions.parse('5', Versions.NONE).lowest, 5);
    assert.ok(Versions.parse('none', Versions.ALL).empty);
    assert.ok(Versions.parse(undefined, Versions.ALL).contains(100));
    assert.throws(() => Versions.parse('7-3', Versions.NONE));
    assert.equal(Versions.parse('3+', Versions.NONE).intersect(new Versions(0, 5)).toString(), '3-5');
    assert.ok(Versions.parse('2-4', Versions.NONE).intersect(new Versions(5, 9)).empty);
  });
});

describe('names', () => {
  it('follows the documented naming rules', () => {
    assert.equal(camelCase('ProducerId'), 'producerId');
    assert.equal(camelCase('KRaftVersion'), 'kRaftVersion');
    assert.equal(kebabCase('ApiVersions'), 'api-versions');
    assert.equal(kebabCase('DescribeUserScramCredentials'), 'describe-user-scram-credentials');
    assert.equal(kebabCase('TransactionLogKey'), 'transaction-log-key');
    assert.equal(structTypeName('ProduceRequest', 'TopicProduceData'), 'ProduceRequestTopicProduceData');
    assert.equal(structTypeName('MetadataRequest', 'MetadataRequestTopic'), 'MetadataRequestTopic');
  });
});

describe('model', () => {
  const model = (json: string) => buildModel({ file: 't.json', internal: false, spec: parseSpec(json, 't.json') });

  it('parses defaults by type and resolves common structs', () => {
    const m = model(`{ "name": "TRequest", "type": "request", "apiKey": 1, "validVersions": "0-2", "flexibleVersions": "2+",
      "fields": [
        { "name": "A", "type": "int32", "versions": "0+", "default": "0x7fffffff" },
        { "name": "B", "type": "int64", "versions": "1+", "default": "-1" },
        { "name": "C", "type": "[]Common", "versions": "0+" },
        { "name": "D", "type": "string", "versions": "2+", "taggedVersions": "2+", "tag": 0, "nullableVersions": "2+", "default": "null" }
      ],
      "commonStructs": [ { "name": "Common", "versions": "0+", "fields": [ { "name": "X", "type": "bool", "versions": "1+" } ] } ] }`);
    const [a, b, c, d] = m.root.fields;
    assert.deepEqual(a.defaultValue, { kind: 'number', value: 2147483647 });
    assert.deepEqual(b.defaultValue, { kind: 'bigint', value: -1n });
    assert.equal(c.type.kind === 'array' && c.type.element.kind === 'struct' && c.type.element.struct.typeName, 'TRequestCommon');
    assert.equal(d.tag, 0);
    assert.equal(d.nullable, true);
    assert.equal(m.structs[0].versions.toString(), '0-2');
  });

  it('rejects what Kafka\'s generator rejects', () => {
    const base = (fields: string) =>
      `{ "name": "TRequest", "type": "request", "apiKey": 1, "validVersions": "0-2", "flexibleVersions": "2+", "fields": [ ${fields} ] }`;
    assert.throws(() => model(base('{ "name": "A", "type": "int32", "versions": "0+", "nullableVersions": "0+" }')), /cannot be nullable/);
    assert.throws(() => model(base('{ "name": "A", "type": "int32", "versions": "0+", "taggedVersions": "0+", "tag": 0 }')), /non-flexible/);
    assert.throws(() => model(base('{ "name": "A", "type": "[]Missing", "versions": "0+" }')), /unknown struct/);
    assert.throws(() => model(base('{ "name": "A", "type": "int9", "versions": "0+" }')), /unknown type/);
    assert.throws(
      () => model(base('{ "name": "A", "type": "int8", "versions": "0+" }, { "name": "A", "type": "int8", "versions": "0+" }')),
      /duplicate field/,
    );
  });
});

describe('generate', () => {
  const files = generate(join(root, 'spec', 'kafka-protocol'));

  it('is deterministic and matches the committed output (what gen:check enforces)', () => {
    const again = generate(join(root, 'spec', 'kafka-protocol'));
    assert.deepEqual([...again.keys()], [...files.keys()]);
    const stale: string[] = [];
    for (const [file, text] of files) {
      assert.equal(again.get(file), text, `${file} differs between two runs`);
      let onDisk: string | null = null;
      try {
        onDisk = readFileSync(join(root, 'src', 'protocol', 'messages', 'generated', file), 'utf8');
      } catch {
        onDisk = null;
      }
      if (onDisk !== text) stale.push(file);
    }
    assert.deepEqual(stale, [], 'run npm run gen');
  });

  it('emits one file per API key, the headers, the data and internal types', () => {
    assert.ok(files.has('00-produce.ts'));
    assert.ok(files.has('01-fetch.ts'));
    assert.ok(files.has('18-api-versions.ts'));
    assert.ok(files.has('request-header.ts'));
    assert.ok(files.has('response-header.ts'));
    assert.ok(files.has('internal/producer-snapshot.ts'));
    assert.ok(files.has('internal/transaction-log-key.ts'));
    assert.ok(files.has('internal/transaction-log-value.ts'));
    assert.ok(files.has('data/consumer-protocol-subscription.ts'));
    assert.ok(files.has('index.ts'));
    const apiFiles = [...files.keys()].filter((f) => /^\d\d-/.test(f));
    assert.equal(apiFiles.length, 88);
    for (const [file, text] of files) {
      assert.match(text, /^\/\/ THIS FILE IS GENERATED .* DO NOT EDIT\./, file);
      assert.doesNotMatch(text, /"about"|Licensed to the Apache/, file);
    }
  });
});
