// ApiVersions (key 18), versions 0-4. The advertised list is derived from the handler registry, so it is exactly
// what this broker serves. Produce is advertised from version 0 although versions below 3 are refused, as Kafka
// 4.0 does (KAFKA-18659): some librdkafka versions turn compression off unless the advertised Produce range
// reaches down to each codec's minimum version.
// Feature flags: `transaction.version`, the one clients act on (KIP-890). It is finalized at 2 — clients may use
// the epoch bump at every EndTxn and implicit partition adds — only when the registry serves the three requests
// that carry transaction version 2 (EndTxn v5, Produce v12, TxnOffsetCommit v5); otherwise at 1 (flexible
// transaction-log values, classic transactions). Kafka 4.x finalizes 2 on a new cluster. `group.version` is
// finalized at 1: KIP-848's consumer group protocol (ConsumerGroupHeartbeat/Describe) is enabled.
// `metadata.version` is reported as a Kafka 4.4 node reports it (supported 3.3-IV3..4.4-IV2, finalized at 4.4-IV2),
// because tools and clients gate request versions on it; `kraft.version` is supported at 0 only (a static voter
// set of this one node: no AddRaftVoter/RemoveRaftVoter) and, being at level 0, is not listed as finalized, as in
// Kafka. Versions 0-3 cannot carry a supported range starting at 0, so, as Kafka does, those features are left out
// of the supported list below version 4 (Kafka's `ApiVersionsResponse` drops them the same way for old clients).
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import type { ApiVersionsResponse } from '../../protocol/messages/generated/18-api-versions.ts';
import type { ApiHandler } from './api-handler.ts';
import type { BrokerContext } from '../broker-context.ts';

const TRANSACTION_VERSION_FEATURE = 'transaction.version';
const GROUP_VERSION_FEATURE = 'group.version';
const METADATA_VERSION_FEATURE = 'metadata.version';
const KRAFT_VERSION_FEATURE = 'kraft.version';
/** `MetadataVersion.MINIMUM_VERSION` (3.3-IV3) and `LATEST_PRODUCTION` (4.4-IV2) feature levels of Kafka 4.4. */
const METADATA_VERSION_MIN = 7;
const METADATA_VERSION = 33;
/** The first ApiVersions version whose supported feature ranges may start at 0. */
const ZERO_MIN_SUPPORTED_FEATURES_VERSION = 4;
/** KIP-848 consumer groups served (Kafka's `GroupVersion.GV_1`). */
const GROUP_VERSION = 1;
/** The versions that carry transaction version 2 (`TransactionVersion.TV_2` in Kafka's clients and franz-go). */
const TRANSACTION_VERSION_2_REQUESTS: readonly [number, number][] = [
  [ApiKey.EndTxn, 5],
  [ApiKey.Produce, 12],
  [ApiKey.TxnOffsetCommit, 5],
];
/** Features never change while the broker runs; any epoch >= 0 tells clients the finalized levels are valid. */
const FINALIZED_FEATURES_EPOCH = 1n;

export function apiVersionsResponse(broker: BrokerContext, version: number): ApiVersionsResponse {
  const apiKeys = [...broker.handlers.values()]
    .map((handler) => ({
      apiKey: handler.apiKey,
      minVersion: handler.apiKey === ApiKey.Produce ? 0 : handler.minVersion,
      maxVersion: handler.maxVersion,
    }))
    .sort((a, b) => a.apiKey - b.apiKey);
  const servesTransactionVersion2 = TRANSACTION_VERSION_2_REQUESTS.every(([apiKey, version]) => (broker.handlers.get(apiKey)?.maxVersion ?? -1) >= version);
  const transactionVersion = servesTransactionVersion2 ? 2 : 1;
  return {
    errorCode: 0,
    apiKeys,
    throttleTimeMs: 0,
    supportedFeatures: [
      { name: GROUP_VERSION_FEATURE, minVersion: 0, maxVersion: GROUP_VERSION },
      { name: KRAFT_VERSION_FEATURE, minVersion: 0, maxVersion: 0 },
      { name: METADATA_VERSION_FEATURE, minVersion: METADATA_VERSION_MIN, maxVersion: METADATA_VERSION },
      { name: TRANSACTION_VERSION_FEATURE, minVersion: 0, maxVersion: transactionVersion },
    ].filter((feature) => version >= ZERO_MIN_SUPPORTED_FEATURES_VERSION || feature.minVersion > 0),
    finalizedFeaturesEpoch: FINALIZED_FEATURES_EPOCH,
    finalizedFeatures: [
      { name: METADATA_VERSION_FEATURE, minVersionLevel: METADATA_VERSION, maxVersionLevel: METADATA_VERSION },
      { name: TRANSACTION_VERSION_FEATURE, minVersionLevel: transactionVersion, maxVersionLevel: transactionVersion },
      { name: GROUP_VERSION_FEATURE, minVersionLevel: GROUP_VERSION, maxVersionLevel: GROUP_VERSION },
    ],
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
