// ApiVersions (key 18), versions 0-4. The advertised list is derived from the handler registry, so it is exactly
// what this broker serves. Produce is advertised from version 0 although versions below 3 are refused, as Kafka
// 4.0 does (KAFKA-18659): some librdkafka versions turn compression off unless the advertised Produce range
// reaches down to each codec's minimum version.
// No feature flags are finalized, so clients use transaction version 1 (classic KIP-98 transactions).
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiVersionsResponse } from '../../protocol/messages/generated/18-api-versions.ts';
import type { ApiHandler } from './api-handler.ts';
import type { BrokerContext } from '../broker-context.ts';

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
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
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
