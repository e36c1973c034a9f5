// The subset of a pino logger the client uses (`logger.warn({ fields }, 'message')`), so an application can pass
// its own pino (or pino-compatible) logger. Silent by default: a library does not write to stdout on its own.
export interface ClientLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentClientLogger: ClientLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
