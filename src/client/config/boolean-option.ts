import { KafkaClientError } from '../errors/kafka-client-error.ts';

/**
 * A BOOLEAN config (`ConfigDef.Type.BOOLEAN`): true or false, also as the strings 'true' and 'false' of a
 * properties file. Anything else is INVALID_CONFIG, as Java's ConfigDef refuses it.
 */
export function booleanOption(name: string, value: boolean | string | undefined, fallback: boolean, client: 'producer' | 'consumer'): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw KafkaClientError.config(`${name} must be true or false, got '${String(value)}'`, client);
}
