// The broker answers every API it advertises at every advertised version: a request with every field at its
// default must get a well-formed response (never a closed connection or an encoding failure). Produce v0-2 are the
// exception Kafka makes too: advertised, answered UNSUPPORTED_VERSION.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { BrokerConnection } from '../../src/client/index.ts';
import { apiByKey, ApiKey, type ApiKey as ApiKeyType, type RequestByApiKey } from '../../src/protocol/messages/generated/index.ts';

let broker: RunningBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker.close();
});

it('every advertised API version gets a decodable response to a default request', { timeout: 60000 }, async () => {
  const connection = await BrokerConnection.open({ host: '127.0.0.1', port: broker.port });
  const versions = await connection.negotiateApiVersions();
  let answered = 0;
  for (const [apiKey, range] of versions) {
    const api = apiByKey[apiKey as ApiKeyType];
    for (let version = range.minVersion; version <= range.maxVersion; version++) {
      const request = api.defaultRequest() as RequestByApiKey[ApiKeyType];
      // acks=0 (the default) is the one request Kafka never answers.
      if (apiKey === ApiKey.Produce) (request as RequestByApiKey[typeof ApiKey.Produce]).acks = -1;
      const response = await connection.send(apiKey as ApiKeyType, version, request);
      assert.ok(response !== null && typeof response === 'object', `${api.name} v${version}`);
      answered++;
    }
  }
  assert.ok(answered > 100, `answered ${answered} API versions`);
  assert.equal(connection.closed, false);
  connection.close();
});
