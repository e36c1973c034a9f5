export {
  KAFKA_ERRORS,
  ErrorCode,
  allErrors,
  errorForCode,
  errorName,
  findErrorByCode,
  findErrorByName,
  isRetriable,
} from './error-table.ts';
export type { ErrorCodes, ErrorName, KafkaErrorInfo } from './error-table.ts';
export { KafkaProtocolError } from './kafka-protocol-error.ts';
export type { KafkaProtocolErrorOptions } from './kafka-protocol-error.ts';
