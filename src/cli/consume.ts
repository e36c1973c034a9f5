// `seqlog consume <topic>`: prints records, kcat-style. Without --group it reads the given (or every) partition
// from -o (beginning | end | stored | <offset> | -<n from end>); with --group it joins the group and commits what
// it printed. read_committed by default. -e exits once every partition is read to its end (the LSO for
// read_committed, the high watermark otherwise); -c after a count.
//
// --json prints one object per line: {"topic","partition","offset" (string),"timestamp" (string),
// "timestampType","key","value","headers":[{"key","value"}]} with keys and values as UTF-8 text (null stays null).
// -f takes kcat's tokens: %t %p %o %k %K %s %S %T %h and \n \r \t escapes.
import { Consumer, type ConsumerRecord, type TopicPartition } from '../client/index.ts';

export interface ConsumeOptions {
  bootstrap: string;
  group?: string;
  partition?: string[];
  offset: string;
  isolation: string;
  format?: string;
  json?: boolean;
  exit?: boolean;
  count?: string;
}

function unescape(format: string): string {
  return format.replace(/\\(n|r|t|x[0-9a-fA-F]{2})/g, (_, code: string) => (code === 'n' ? '\n' : code === 'r' ? '\r' : code === 't' ? '\t' : String.fromCharCode(parseInt(code.slice(1), 16))));
}

/** Renders one record with kcat's format tokens. */
export function formatRecord(format: string, record: ConsumerRecord): string {
  return format.replace(/%([tpokKsSTh%])/g, (_, token: string) => {
    switch (token) {
      case 't': return record.topic;
      case 'p': return String(record.partition);
      case 'o': return record.offset.toString();
      case 'k': return record.keyString() ?? '';
      case 'K': return String(record.key?.length ?? -1);
      case 's': return record.valueString() ?? '';
      case 'S': return String(record.value?.length ?? -1);
      case 'T': return record.timestamp.toString();
      case 'h': return record.headers.map((h) => `${h.key}=${h.value === null ? '' : h.value.toString('utf8')}`).join(',');
      default: return '%';
    }
  });
}

export function recordJsonLine(record: ConsumerRecord): string {
  return JSON.stringify({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset.toString(),
    timestamp: record.timestamp.toString(),
    timestampType: record.timestampType,
    key: record.keyString(),
    value: record.valueString(),
    headers: record.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString('utf8') })),
  });
}

export async function consumeCommand(topic: string, options: ConsumeOptions): Promise<void> {
  const isolation = options.isolation;
  if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') throw new Error(`--isolation must be read_committed or read_uncommitted, got '${isolation}'`);
  const limit = options.count === undefined ? Infinity : Number(options.count);
  if (!(limit > 0)) throw new Error(`-c must be a positive count, got '${options.count}'`);
  const format = options.format === undefined ? '%s\n' : unescape(options.format);
  const consumer = new Consumer({
    bootstrap: options.bootstrap,
    clientId: 'seqlog-cli',
    isolationLevel: isolation,
    groupId: options.group,
    autoOffsetReset: options.offset === 'end' ? 'latest' : 'earliest',
    enableAutoCommit: options.group !== undefined,
    fetchMaxWaitMs: 200,
  });
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let printed = 0;
  let checker: NodeJS.Timeout | undefined;
  try {
    if (options.group !== undefined) {
      consumer.subscribe(topic);
    } else {
      const partitions: TopicPartition[] = (options.partition?.map(Number) ?? (await consumer.partitionsFor(topic))).map((partition) => ({ topic, partition }));
      consumer.assign(partitions);
      await seekStart(consumer, partitions, options.offset);
    }
    if (options.exit) {
      // The end as each fetch reports it; once every owned partition's position reached it, stop.
      checker = setInterval(() => {
        const lag = consumer.lag();
        if (lag.length > 0 && lag.every((l) => l.position !== null && (isolation === 'read_committed' ? l.lastStableOffset : l.highWatermark) >= 0n && l.position >= (isolation === 'read_committed' ? l.lastStableOffset : l.highWatermark))) stop();
      }, 50);
    }
    await consumer.run({
      signal: controller.signal,
      eachBatch: (batch) => {
        let out = '';
        for (const record of batch.records) {
          if (printed >= limit) break;
          out += options.json ? `${recordJsonLine(record)}\n` : formatRecord(format, record);
          printed++;
        }
        process.stdout.write(out);
        if (printed >= limit) stop();
      },
    });
  } finally {
    if (checker !== undefined) clearInterval(checker);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await consumer.close();
  }
}

async function seekStart(consumer: Consumer, partitions: TopicPartition[], offset: string): Promise<void> {
  if (offset === 'stored') throw new Error("-o stored needs --group (the committed offsets of a group)");
  if (offset === 'beginning' || offset === 'end') {
    for (const tp of partitions) consumer.seek({ ...tp, offset: offset === 'beginning' ? 'earliest' : 'latest' });
    return;
  }
  if (!/^-?\d+$/.test(offset)) throw new Error(`-o must be beginning, end, stored, <offset> or -<count>, got '${offset}'`);
  const value = BigInt(offset);
  if (value >= 0n) {
    for (const tp of partitions) consumer.seek({ ...tp, offset: value });
    return;
  }
  const [starts, ends] = await Promise.all([consumer.beginningOffsets(partitions), consumer.endOffsets(partitions)]);
  ends.forEach((end, i) => {
    const from = end.offset + value;
    consumer.seek({ topic: end.topic, partition: end.partition, offset: from > starts[i].offset ? from : starts[i].offset });
  });
}
