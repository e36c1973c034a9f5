// Runtime checks of what `send` is given. TypeScript callers are checked by the compiler, but JavaScript callers
// (and casts) can pass a number or an object as a value; passed through, it would be encoded as garbage. Like the
// Java client's serializers, which throw a SerializationException before anything is sent, a wrong type is
// refused here with the field named. Only typeof/instanceof tests: nothing is allocated for a valid record.
import { KafkaClientError } from '../errors/kafka-client-error.ts';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return `a ${typeof value} (${String(value).slice(0, 40)})`;
}

function isBytesOrString(value: unknown): boolean {
  return typeof value === 'string' || value instanceof Uint8Array;
}

function where(index: number, field: string): string {
  return index < 0 ? field : `records[${index}].${field}`;
}

function checkHeaders(headers: unknown, index: number): void {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i++) {
      const header = headers[i] as { key?: unknown; value?: unknown } | null;
      if (typeof header !== 'object' || header === null || typeof header.key !== 'string') {
        throw KafkaClientError.invalidRecordType(`${where(index, `headers[${i}]`)} must be { key: string, value }, got ${describe(header)}`);
      }
      if (header.value !== null && !isBytesOrString(header.value)) {
        throw KafkaClientError.invalidRecordType(`${where(index, `headers[${i}].value`)} must be a string, Buffer, Uint8Array or null, got ${describe(header.value)}`);
      }
    }
    return;
  }
  if (typeof headers !== 'object' || headers === null) {
    throw KafkaClientError.invalidRecordType(`${where(index, 'headers')} must be an object or a list of { key, value }, got ${describe(headers)}`);
  }
  const record = headers as Record<string, unknown>;
  for (const key in record) {
    const value = record[key];
    if (value !== null && !isBytesOrString(value)) {
      throw KafkaClientError.invalidRecordType(`${where(index, `headers.${key}`)} must be a string, Buffer, Uint8Array or null, got ${describe(value)}`);
    }
  }
}

/**
 * Throws an INVALID_RECORD_TYPE `KafkaClientError` naming the first field of `record` that is not of a type the
 * producer can send. `index` is the record's position in an array send, -1 for a single record.
 */
export function checkRecordInput(record: unknown, index: number): void {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw KafkaClientError.invalidRecordType(`${index < 0 ? 'the record' : `records[${index}]`} must be an object { topic, key?, value, headers? }, got ${describe(record)}`);
  }
  const r = record as { topic?: unknown; key?: unknown; value?: unknown; headers?: unknown; partition?: unknown; timestamp?: unknown; messages?: unknown };
  if (r.messages !== undefined && r.value === undefined) {
    throw KafkaClientError.invalidRecordType(
      'send({ topic, messages }) is the KafkaJS shape; seqlog sends records: send(messages.map((m) => ({ topic, ...m }))) or send({ topic, key, value })',
    );
  }
  if (typeof r.topic !== 'string' || r.topic.length === 0) {
    throw KafkaClientError.invalidRecordType(`${where(index, 'topic')} must be a non-empty string, got ${describe(r.topic)}`);
  }
  if (r.value === undefined) {
    throw KafkaClientError.invalidRecordType(`${where(index, 'value')} is missing; pass a string, Buffer or Uint8Array, or null for a tombstone`);
  }
  if (r.value !== null && !isBytesOrString(r.value)) {
    throw KafkaClientError.invalidRecordType(`${where(index, 'value')} must be a string, Buffer, Uint8Array or null, got ${describe(r.value)}; serialize it first (e.g. JSON.stringify)`);
  }
  if (r.key !== undefined && r.key !== null && !isBytesOrString(r.key)) {
    throw KafkaClientError.invalidRecordType(`${where(index, 'key')} must be a string, Buffer, Uint8Array or null, got ${describe(r.key)}; convert it first (e.g. String(key))`);
  }
  if (r.headers !== undefined) checkHeaders(r.headers, index);
  if (r.partition !== undefined && (typeof r.partition !== 'number' || !Number.isInteger(r.partition) || r.partition < 0)) {
    throw KafkaClientError.invalidRecordType(`${where(index, 'partition')} must be a non-negative integer, got ${describe(r.partition)}`);
  }
  if (r.timestamp !== undefined && typeof r.timestamp !== 'number' && typeof r.timestamp !== 'bigint' && !(r.timestamp instanceof Date)) {
    throw KafkaClientError.invalidRecordType(`${where(index, 'timestamp')} must be a number, bigint or Date, got ${describe(r.timestamp)}`);
  }
}
