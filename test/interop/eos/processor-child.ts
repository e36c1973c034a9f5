// A consume-transform-produce process for the kill -9 test: runs seqlog's ExactlyOnceProcessor from argv
// `<bootstrap> <groupId> <transactionalId> <inputTopic> <outputTopic>`, writing `out:<input value>` for every input
// record, and prints one line per committed transaction so the parent can time its kill.
import { ExactlyOnceProcessor } from '../../../src/client/index.ts';

const [bootstrap, groupId, transactionalId, input, output] = process.argv.slice(2);
const processor = new ExactlyOnceProcessor({
  bootstrap,
  groupId,
  transactionalId,
  inputTopics: input,
  // Static membership: the restarted process takes its predecessor's place without waiting for its session to expire.
  consumer: { groupInstanceId: `${transactionalId}-member`, sessionTimeoutMs: 10_000, maxPartitionFetchBytes: 2048 },
  producer: { lingerMs: 1 },
  async transform(record) {
    // Slow enough that a kill often lands inside an open transaction.
    await new Promise((resolve) => setTimeout(resolve, 1));
    return { topic: output, key: record.key, value: `out:${record.valueString() ?? ''}` };
  },
  onCommit: (batch) => process.stdout.write(`commit ${batch.topic}-${batch.partition} ${batch.inputs} ${batch.nextOffset}\n`),
});
process.on('SIGTERM', () => void processor.close().then(() => process.exit(0)));
processor.run().catch((error: unknown) => {
  process.stderr.write(`processor failed: ${String(error)}\n`);
  process.exit(1);
});
