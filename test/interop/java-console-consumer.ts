// Kafka's own console consumer (`kafka-console-consumer`, kafka-clients 4.4) as a group member in the
// consumer-group interop tests: it commits every 200 ms and its printed values are collected.
import type { ChildProcess } from 'node:child_process';
import { javaExecutable, kafkaClasspath } from '../reference/layout.ts';
import { spawnReaped } from '../reference/reaper.ts';

export interface ConsoleConsumer {
  child: ChildProcess;
  values: string[];
  stderr: string[];
}

export interface ConsoleConsumerOptions {
  bootstrap: string;
  topic: string;
  group: string;
  /** `group.protocol`: classic or consumer (KIP-848). */
  groupProtocol: 'classic' | 'consumer';
  /** Extra `--consumer-property` settings, `name=value`. */
  properties?: readonly string[];
  /** The printed lines that are record values (the tool also prints a summary line when it stops). */
  values: RegExp;
}

export function startConsoleConsumer(options: ConsoleConsumerOptions): ConsoleConsumer {
  const properties = [`group.protocol=${options.groupProtocol}`, 'auto.offset.reset=earliest', 'auto.commit.interval.ms=200', ...(options.properties ?? [])];
  const child = spawnReaped(
    javaExecutable(),
    [
      '-Xshare:auto',
      '-XX:TieredStopAtLevel=1',
      '-cp',
      kafkaClasspath,
      'org.apache.kafka.tools.consumer.ConsoleConsumer',
      '--bootstrap-server',
      options.bootstrap,
      '--topic',
      options.topic,
      '--group',
      options.group,
      ...properties.flatMap((property) => ['--consumer-property', property]),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const consumer: ConsoleConsumer = { child, values: [], stderr: [] };
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (options.values.test(line)) consumer.values.push(line);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => void consumer.stderr.push(chunk));
  return consumer;
}
