// `seqlog produce <topic>`: one record per line of stdin (kcat -P style). -K splits each line at the first
// delimiter into key and value; -H adds a header to every record; -p picks the partition (default: the
// producer's partitioner). Records are sent idempotently; the command exits once every one is acknowledged and
// prints the count to stderr.
import { createInterface } from 'node:readline';
import { Producer, type CompressionName, type ProducerRecord } from '../client/index.ts';

export interface ProduceOptions {
  bootstrap: string;
  keyDelimiter?: string;
  header?: string[];
  partition?: string;
  compression: string;
  nullEmpty?: boolean;
}

export async function produceCommand(topic: string, options: ProduceOptions): Promise<void> {
  const headers = (options.header ?? []).map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0) throw new Error(`-H must be name=value, got '${entry}'`);
    return { key: entry.slice(0, at), value: entry.slice(at + 1) };
  });
  const partition = options.partition === undefined ? undefined : Number(options.partition);
  if (partition !== undefined && !(Number.isInteger(partition) && partition >= 0)) throw new Error(`-p must be a partition number, got '${options.partition}'`);
  const producer = new Producer({ bootstrap: options.bootstrap, clientId: 'seqlog-cli', compression: options.compression as CompressionName });
  const pending: Promise<unknown>[] = [];
  let count = 0;
  try {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
      let key: string | null = null;
      let value: string | null = line;
      if (options.keyDelimiter !== undefined) {
        const at = line.indexOf(options.keyDelimiter);
        if (at >= 0) {
          key = line.slice(0, at);
          value = line.slice(at + options.keyDelimiter.length);
        }
      }
      if (options.nullEmpty && value === '') value = null;
      const record: ProducerRecord = { topic, key, value, headers, ...(partition === undefined ? {} : { partition }) };
      pending.push(producer.send(record));
      count++;
      // Bound what is waiting for acknowledgement (the producer's buffer also bounds memory).
      if (pending.length >= 10000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  } finally {
    await producer.close();
  }
  process.stderr.write(`${count} record(s) produced to '${topic}'\n`);
}
