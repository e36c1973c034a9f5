// What request handlers see of the broker: its configuration, identity and domain objects.
import type { BrokerConfig } from './config.ts';
import type { LogManager } from './log/log-manager.ts';
import type { BrokerLogger } from './logger.ts';
import type { MemoryBudget } from './memory-budget.ts';
import type { AnyApiHandler } from './handlers/api-handler.ts';
import type { GroupCoordinator } from './group/group-coordinator.ts';
import type { ProducerIdManager } from './producer-state/producer-id-manager.ts';
import type { TransactionCoordinator } from './txn/transaction-coordinator.ts';
import type { ReadBufferPool } from './log/read-buffer-pool.ts';
import type { FetchSessionCache } from './fetch-session-cache.ts';
import type { AclStore } from './security/authorizer/acl-store.ts';
import type { BrokerSecurity } from './security/broker-security.ts';
import type { ConnectionInfo } from './connection.ts';
import type { BrokerMetricRegistry } from './metrics/broker-metric-registry.ts';
import type { DynamicBrokerConfigs } from './configs/dynamic-broker-configs.ts';
import type { InternalTopics } from './internal-topics.ts';

export interface BrokerEndpoint {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface BrokerContext {
  /** The static configuration (as started); `dynamicConfigs` holds what AlterConfigs changed since. */
  readonly config: Readonly<BrokerConfig>;
  /** Dynamic broker configs (KIP-226), applied over `config` without a restart. */
  readonly dynamicConfigs: DynamicBrokerConfigs;
  readonly clusterId: string;
  /** This node, as clients of the first listener reach it (advertised listener). */
  readonly endpoint: BrokerEndpoint;
  /** This node per listener name, as clients of that listener reach it. */
  readonly advertisedListeners: ReadonlyMap<string, BrokerEndpoint>;
  /** Authentication: SASL mechanisms, credentials, session bounds. */
  readonly security: BrokerSecurity;
  /** Every partition log; each owns its producer state (`log.producerState`, `log.lastStableOffset`). */
  readonly logs: LogManager;
  /** The virtual `__consumer_offsets` / `__transaction_state` topics Metadata lists (internal-topics.ts). */
  readonly internalTopics: InternalTopics;
  /** Producer ids for InitProducerId, never reused. */
  readonly producerIds: ProducerIdManager;
  /** The classic consumer-group coordinator (this node coordinates every group) and its committed offsets. */
  readonly groups: GroupCoordinator;
  /** The transaction coordinator (this node coordinates every transactional id) and its transaction log. */
  readonly transactions: TransactionCoordinator;
  readonly logger: BrokerLogger;
  /** Wall clock in ms; injectable for tests and fault injection. */
  readonly clock: () => number;
  /** Memory held by connections (`queued.max.request.bytes`); Fetch sizes its answer to what is left. */
  readonly connectionMemory: MemoryBudget;
  /** Incremental fetch sessions (KIP-227), shared by every connection as Kafka's are. */
  readonly fetchSessions: FetchSessionCache;
  /** Reused buffers that Fetch reads stored batches into (given back once its answer is written). */
  readonly readBuffers: ReadBufferPool;
  /** The ACLs and the authorizer that checks them; null when no authorizer is configured (every request allowed). */
  readonly acls: AclStore | null;
  /** This broker's Prometheus metrics; hot paths update label children it resolved once. */
  readonly metrics: BrokerMetricRegistry;
  /** Every handler by API key (ApiVersions derives its answer from this). */
  readonly handlers: ReadonlyMap<number, AnyApiHandler>;
}

/**
 * This node as the client of `connection` must reach it: the advertised address of the listener it connected
 * through (Kafka's Metadata answers with each broker's endpoint for the request's listener name).
 */
export function endpointFor(broker: BrokerContext, connection: ConnectionInfo): BrokerEndpoint {
  return broker.advertisedListeners.get(connection.session.listener.name) ?? broker.endpoint;
}
