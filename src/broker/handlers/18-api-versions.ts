// ApiVersions (key 18), versions 0-4. The advertised list is derived from the handler registry, so it is exactly
// what this broker serves. Produce is advertised from version 0 although versions below 3 are refused, as Kafka
// 4.0 does (KAFKA-18659): some librdkafka versions turn compression off unless the advertised Produce range
// reaches down to each codec's minimum version.
// Feature flags (KIP-584) are advertised as supported and finalized at the level this broker runs: a feature not
// listed is at level 0 (so clients use transaction version 1, classic KIP-98 transactions).
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiVersionsResponse } from '../../protocol/messages/generated/18-api-versions.ts';
import type { ApiHandler } from './api-handler.ts';
import type { BrokerContext } from '../broker-context.ts';

/** Finalized features: name, supported range, finalized level. */
const FEATURES: readonly { name: string; minVersion: number; maxVersion: number; level: number }[] = [
  // KIP-848: the consumer group protocol (ConsumerGroupHeartbeat/Describe) is enabled.
  { name: 'group.version', minVersion: 0, maxVersion: 1, level: 1 },
];

export function apiVersionsResponse(broker: BrokerContext, _version: number): ApiVersionsResponse {
  const apiKeys = [...broker.handlers.values()]
    .map((handler) => ({
      apiKey: handler.apiKey,
      minVersion: handler.apiKey === ApiKey.Produce ? 0 : handler.minVersion,
      maxVersion: handler.maxVersion,
    }))
    .sort((a, b) => a.apiKey - b.apiKey);
  return {
    errorCode: 0,
    apiKeys,
    throttleTimeMs: 0,
    supportedFeatures: FEATURES.map(({ name, minVersion, maxVersion }) => ({ name, minVersion, maxVersion })),
    // The features never change while the broker runs: one epoch.
    finalizedFeaturesEpoch: FEATURES.length === 0 ? -1n : 0n,
    finalizedFeatures: FEATURES.map(({ name, level }) => ({ name, minVersionLevel: level, maxVersionLevel: level })),
    zkMigrationReady: false,
  };
}

export const apiVersionsHandler: ApiHandler<typeof ApiKey.ApiVersions> = {
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle(broker, _request, context) {
    return apiVersionsResponse(broker, context.apiVersion);
  },
};
