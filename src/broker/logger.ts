// The subset of a pino logger the broker uses, so an embedding application can pass its own logger.
export interface BrokerLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLogger: BrokerLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
