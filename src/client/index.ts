// seqlog/client: the producer, consumer and admin client. Today: a broker connection with version negotiation.
export { BrokerConnection } from './connection/broker-connection.ts';
export type { BrokerConnectionOptions, BrokerApiVersions } from './connection/broker-connection.ts';
export { ConnectionError } from './connection/connection-error.ts';
