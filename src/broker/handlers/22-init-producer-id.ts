// InitProducerId (key 22), versions 0-5. Without a transactional id (the idempotent producer) every request gets a
// new producer id at epoch 0, whatever ProducerId/ProducerEpoch it carries (Kafka's
// `TransactionCoordinator.handleInitProducerId`: the KIP-360 fields only matter for transactional ids);
// TransactionTimeoutMs is ignored. ProducerId and ProducerEpoch must both be -1 or both be set (INVALID_REQUEST),
// and an empty transactional id is INVALID_REQUEST.
// Transactional ids need the transaction coordinator, which this broker does not have yet: they are refused with
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED, a fatal error for every client, instead of a retriable one that would
// make a client wait for a coordinator that never comes.
import { ApiKey } from '../../protocol/messages/generated/index.ts';
import { ErrorCode } from '../../protocol/errors/index.ts';
import type { ApiHandler } from './api-handler.ts';
import { errorCodeOf } from '../broker-error.ts';

const NO_PRODUCER_ID = -1n;
const NO_PRODUCER_EPOCH = -1;

export const initProducerIdHandler: ApiHandler<typeof ApiKey.InitProducerId> = {
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  handle(broker, request) {
    const answer = (errorCode: number, producerId = NO_PRODUCER_ID, producerEpoch = NO_PRODUCER_EPOCH) => ({
      throttleTimeMs: 0,
      errorCode,
      producerId,
      producerEpoch,
    });
    if ((request.producerId === NO_PRODUCER_ID) !== (request.producerEpoch === NO_PRODUCER_EPOCH)) {
      return answer(ErrorCode.INVALID_REQUEST);
    }
    if (request.transactionalId === '') return answer(ErrorCode.INVALID_REQUEST);
    if (request.transactionalId !== null) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    try {
      return answer(ErrorCode.NONE, broker.producerIds.generateProducerId(), 0);
    } catch (error) {
      return answer(errorCodeOf(error, broker.logger));
    }
  },
};
