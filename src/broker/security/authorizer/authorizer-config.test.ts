// The authorizer's Kafka config names: `authorizer.class.name` (Kafka's class name or `standard`), `super.users`
// (semicolon-separated, as Kafka), `allow.everyone.if.no.acl.found`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyKafkaProperties, ConfigError, defaultBrokerConfig } from '../../config.ts';

test('no authorizer by default (every request allowed, as Kafka)', () => {
  assert.equal(defaultBrokerConfig.authorizer, null);
  assert.equal(defaultBrokerConfig.allowEveryoneIfNoAclFound, false);
  assert.deepEqual(defaultBrokerConfig.superUsers, []);
});

test("Kafka's names set the authorizer, super users and the no-ACL default", () => {
  const config = applyKafkaProperties(defaultBrokerConfig, {
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin; User:CN=broker,O=example',
    'allow.everyone.if.no.acl.found': 'true',
  });
  assert.equal(config.authorizer, 'standard');
  assert.deepEqual(config.superUsers, ['User:admin', 'User:CN=broker,O=example']);
  assert.equal(config.allowEveryoneIfNoAclFound, true);
  assert.equal(applyKafkaProperties(config, { 'authorizer.class.name': '' }).authorizer, null);
});

test('an authorizer seqlog does not have is a config error', () => {
  assert.throws(() => applyKafkaProperties(defaultBrokerConfig, { 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer' }), ConfigError);
});
