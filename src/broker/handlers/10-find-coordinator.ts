// FindCoordinator (key 10), versions 0-6. This single node is the coordinator of every group and transactional
// id. v4+ batches keys in `CoordinatorKeys` (KIP-699) and answers one entry per key.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize, authorizationEnabled } from '../security/authorizer/authorize.ts';

const BATCHED_KEYS_MIN_VERSION = 4;
/** `CoordinatorType.TRANSACTION`. */
const TRANSACTION_KEY_TYPE = 1;

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
