// The rule table covers every API the broker serves: each is either checked (a row) or named as unchecked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allApis } from '../../../protocol/messages/generated/index.ts';
import { brokerHandlers } from '../../handlers/registry.ts';
import { apiAuthorization, unauthorizedApis } from './api-authorization.ts';

test('every served API has an authorization row or is listed as unchecked', () => {
  const names = new Map(allApis.map((api) => [api.apiKey, api.name]));
  const missing = brokerHandlers
    .map((handler) => names.get(handler.apiKey) ?? String(handler.apiKey))
    .filter((name) => !(name in apiAuthorization) && !unauthorizedApis.includes(name));
  assert.deepEqual(missing, []);
});

test('every row names an API that exists', () => {
  const names = new Set(allApis.map((api) => api.name));
  assert.deepEqual(Object.keys(apiAuthorization).filter((name) => !names.has(name)), []);
});
