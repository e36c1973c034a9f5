// The client commands of the CLI (`consume`, `produce`): a user can read and write a broker from the shell
// without kcat. Their flags follow kcat's letters where kcat has one.
import { Option, type Command } from 'commander';
import { consumeCommand } from './consume.ts';
import { produceCommand } from './produce.ts';
import { bootstrapOption } from './connection-options.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A command with kcat's `-b, --bootstrap` first. */
const clientCommand = (program: Command, spec: string, description: string): Command => bootstrapOption(program.command(spec).description(description), 'broker(s) to connect to', { short: true });

export function registerClientCommands(program: Command): void {
  clientCommand(program, 'consume <topic>', 'print records of a topic (read_committed by default); with --group, as a member of a consumer group')
    .option('-g, --group <id>', 'consume as a member of this group and commit what was printed')
    .option('-p, --partition <n>', 'a partition to read without a group (repeatable; default: all)', collect)
    .option('-o, --offset <offset>', 'where to start without a group: beginning, end, <offset>, -<n from end>', 'beginning')
    .addOption(new Option('--isolation <level>', 'which records to show').choices(['read_committed', 'read_uncommitted']).default('read_committed'))
    .option('-f, --format <fmt>', "output format with kcat's tokens (%t %p %o %k %K %s %S %T %h), default '%s\\n'")
    .option('--json', 'one JSON object per record and line')
    .option('-e, --exit', 'exit when every partition is read to its end')
    .option('-c, --count <n>', 'exit after this many records')
    .action(consumeCommand);

  clientCommand(program, 'produce <topic>', 'send each line of stdin as a record (idempotent producer)')
    .option('-K, --key-delimiter <delim>', 'split each line at the first delimiter into key and value')
    .option('-H, --header <name=value>', 'a header added to every record (repeatable)', collect)
    .option('-p, --partition <n>', 'the partition to write to (default: by key, or sticky)')
    .addOption(new Option('-z, --compression <codec>', 'compression codec').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'))
    .option('-Z, --null-empty', 'send empty values as null (tombstones)')
    .action(produceCommand);
}
