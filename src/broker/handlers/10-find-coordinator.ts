// FindCoordinator (key 10), versions 0-6. This single node is the coordinator of every group and transactional
// id. v4+ batches keys in `CoordinatorKeys` (KIP-699) and answers one entry per key. As in Kafka, the first lookup
// of a group or transaction coordinator creates the internal topic behind it (`__consumer_offsets`,
// `__transaction_state`), which Metadata lists from then on.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize, authorizationEnabled } from '../security/authorizer/authorize.ts';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../internal-topics.ts';

/** FindCoordinator's `KeyType`: 0 group, 1 transaction. */
const TRANSACTION_KEY_TYPE = 1;

const BATCHED_KEYS_MIN_VERSION = 4;

export const findCoordinatorHandler: ApiHandler<typeof ApiKey.FindCoordinator> = {
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  handle(broker, request, context) {
    const { nodeId, host, port } = broker.endpoint;
    const keys = context.apiVersion >= BATCHED_KEYS_MIN_VERSION ? request.coordinatorKeys : [request.key];
    if (authorizationEnabled(broker)) {
      // DESCRIBE on the group or transactional id the key names; a denied key gets no coordinator.
      const rules = apiAuthorization.FindCoordinator;
      const denial = (key: string): number => {
        if (request.keyType === TRANSACTION_KEY_TYPE) return authorize(broker, context, rules.transactionalId, key) ? ErrorCode.NONE : rules.transactionalId.error;
        return authorize(broker, context, rules.group, key) ? ErrorCode.NONE : rules.group.error;
      };
      const errors = keys.map(denial);
      if (errors.some((code) => code !== ErrorCode.NONE)) {
        const coordinators = keys.map((key, i) => (errors[i] === ErrorCode.NONE ? { key, nodeId, host, port, errorCode: ErrorCode.NONE, errorMessage: null } : { key, nodeId: -1, host: '', port: -1, errorCode: errors[i], errorMessage: null }));
        if (context.apiVersion >= BATCHED_KEYS_MIN_VERSION) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId, host, port, coordinators };
        return { throttleTimeMs: 0, errorCode: errors[0], errorMessage: null, nodeId: -1, host: '', port: -1, coordinators: [] };
      }
    }
    if (keys.length > 0) broker.internalTopics.ensure(request.keyType === TRANSACTION_KEY_TYPE ? TRANSACTION_STATE_TOPIC : CONSUMER_OFFSETS_TOPIC);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      nodeId,
      host,
      port,
      coordinators: keys.map((key) => ({ key, nodeId, host, port, errorCode: ErrorCode.NONE, errorMessage: null })),
    };
  },
};
