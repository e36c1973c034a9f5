// InitProducerId (key 22), versions 0-5.
// Without a transactional id (the idempotent producer) every request gets a new producer id at epoch 0, whatever
// ProducerId/ProducerEpoch it carries (Kafka's `TransactionCoordinator.handleInitProducerId`: the KIP-360 fields
// only matter for transactional ids); TransactionTimeoutMs is ignored.
// With a transactional id the transaction coordinator answers: the first call allocates a producer id at epoch 0,
// later ones bump the epoch (fencing older instances), an open transaction is aborted first
// (CONCURRENT_TRANSACTIONS until it is), KIP-360 recovery with the current ProducerId/ProducerEpoch, and
// INVALID_TRANSACTION_TIMEOUT outside (0, transaction.max.timeout.ms]. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH
// before v4 (KIP-588).
// ProducerId and ProducerEpoch must both be -1 or both be set (INVALID_REQUEST); an empty transactional id is
// INVALID_REQUEST.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeOf } from '../broker-error.ts';
import { errorCodeForVersion } from '../txn/error-versions.ts';
import { apiAuthorization } from '../security/authorizer/api-authorization.ts';
import { authorize, authorizeCluster, authorizeAnyOfType } from '../security/authorizer/authorize.ts';

const NO_PRODUCER_ID = -1n;
const NO_PRODUCER_EPOCH = -1;

export const initProducerIdHandler: ApiHandler<typeof ApiKey.InitProducerId> = {
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(broker, request, context) {
    const answer = (errorCode: number, producerId = NO_PRODUCER_ID, producerEpoch = NO_PRODUCER_EPOCH) => ({
      throttleTimeMs: 0,
      errorCode: errorCodeForVersion(errorCode, ApiKey.InitProducerId, context.apiVersion),
      producerId,
      producerEpoch,
    });
    const rules = apiAuthorization.InitProducerId;
    if (request.transactionalId !== null) {
      if (!authorize(broker, context, rules.transactionalId, request.transactionalId)) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    } else if (!authorizeCluster(broker, context, rules.idempotentWrite) && !authorizeAnyOfType(broker, context, rules.anyTopic)) {
      // KIP-679: an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic.
      return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    if ((request.producerId === NO_PRODUCER_ID) !== (request.producerEpoch === NO_PRODUCER_EPOCH)) {
      return answer(ErrorCode.INVALID_REQUEST);
    }
    if (request.transactionalId === '') return answer(ErrorCode.INVALID_REQUEST);
    try {
      if (request.transactionalId !== null) {
        const result = await broker.transactions.initProducerId(request.transactionalId, request.transactionTimeoutMs, request.producerId, request.producerEpoch);
        return answer(result.errorCode, result.producerId, result.producerEpoch);
      }
      return answer(ErrorCode.NONE, broker.producerIds.generateProducerId(), 0);
    } catch (error) {
      return answer(errorCodeOf(error, broker.logger));
    }
  },
};
