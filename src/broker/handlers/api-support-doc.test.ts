// docs/api-support.md promises users the exact API versions the broker serves; this keeps the promise true.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { brokerHandlers } from './registry.ts';
import { ApiKey } from '../../protocol/messages/generated/index.ts';

it('docs/api-support.md lists exactly the served APIs and versions', () => {
  const doc = readFileSync(new URL('../../../docs/api-support.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/^\| (\d+) \| (\w+) \| (\d+)-(\d+) \|/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}-${m[4]}`);
  const names = Object.fromEntries(Object.entries(ApiKey).map(([name, key]) => [key, name]));
  const served = [...brokerHandlers]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((h) => `${h.apiKey} ${names[h.apiKey]} ${h.apiKey === ApiKey.Produce ? 0 : h.minVersion}-${h.maxVersion}`);
  assert.deepEqual(documented, served);
});
