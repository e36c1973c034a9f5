// FindCoordinator (key 10), versions 0-6. This single node is the coordinator of every group and transactional
// id. v4+ batches keys in `CoordinatorKeys` (KIP-699) and answers one entry per key.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';

const BATCHED_KEYS_MIN_VERSION = 4;

export const findCoordinatorHandler: ApiHandler<typeof ApiKey.FindCoordinator> = {
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  handle(broker, request, context) {
    const { nodeId, host, port } = broker.endpoint;
    const keys = context.apiVersion >= BATCHED_KEYS_MIN_VERSION ? request.coordinatorKeys : [request.key];
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
