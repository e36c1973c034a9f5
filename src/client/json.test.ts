import { it } from 'node:test';
import assert from 'node:assert/strict';
import { bigintReplacer, toJsonSafe } from './json.ts';

it('bigint offsets serialize as exact decimal strings', () => {
  const metadata = { topic: 'orders', partition: 2, offset: 9007199254740993n, timestamp: 1700000000000n };
  assert.equal(JSON.stringify(metadata, bigintReplacer), '{"topic":"orders","partition":2,"offset":"9007199254740993","timestamp":"1700000000000"}');
  const safe = toJsonSafe([metadata]);
  assert.deepEqual(safe, [{ topic: 'orders', partition: 2, offset: '9007199254740993', timestamp: '1700000000000' }]);
  assert.equal(BigInt(safe[0].offset), metadata.offset);
});
