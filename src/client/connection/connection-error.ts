// The connection to a broker failed or closed. Kafka clients report this as NETWORK_EXCEPTION (13, retriable):
// whether a request sent on the connection took effect is unknown.
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  readonly code = 13;
  readonly errorName = 'NETWORK_EXCEPTION';
  readonly retriable = true;
}
