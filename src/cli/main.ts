// The `seqlog` command line: a thin layer over the package's doors.
import { Command, Option } from 'commander';
import { serveCommand } from './serve.ts';
import { defaultVerifyRecords, verifyCommand } from './verify.ts';
import { defaultTransactionalVerifyInputs, verifyTransactionsCommand } from './verify-transactions.ts';
import { producersCommand } from './producers.ts';
import { consoleCommand } from './console.ts';
import { reportFailure } from './cli-failure.ts';
import { bootstrapOption } from './connection-options.ts';
import { registerAdminCommands } from './admin-commands.ts';
import { registerAclCommands } from './acl-commands.ts';
import { registerClientCommands } from './client-commands.ts';
import { registerScramCommands } from './scram-commands.ts';

const program = new Command();
program
  .name('seqlog')
  .description('A Kafka-compatible event log built around exactly-once production.')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the broker (Kafka protocol) until SIGTERM/SIGINT')
  .option('--listeners <listeners>', 'listeners to bind, Kafka form: PLAINTEXT://host:port[,SASL_SSL://host:port,...]')
  .option('--advertised-listeners <listeners>', 'per listener name, the address handed to clients in Metadata (behind a proxy or NAT)')
  .option('--sasl-plain-users <file>', 'SASL/PLAIN users: a properties file of user=password lines (sasl.plain.users)')
  .option('--port <port>', 'shorthand for --listeners PLAINTEXT://127.0.0.1:<port>')
  .option('--data <dir>', 'data directory (log.dirs)')
  .option('--config <file>', 'a server.properties file with Kafka config names')
  .option('--set <name=value...>', 'any supported Kafka config name, e.g. --set num.partitions=3')
  .addOption(new Option('--fsync <policy>', 'when acknowledged writes reach the disk').choices(['always', 'interval', 'never']))
  .option('--metrics-port <port>', 'serve Prometheus metrics at http://<host>:<port>/metrics (off by default)')
  .option('--console-port <port>', 'serve the web console at http://<host>:<port>/ (off by default)')
  .addOption(new Option('--authorizer <name>', 'check every request against ACLs (Kafka\'s StandardAuthorizer); super users: --set super.users=User:admin').choices(['standard']))
  .option('--log-level <level>', 'trace, debug, info, warn, error', 'info')
  .action(serveCommand);

bootstrapOption(program.command('console').description('serve the web console for any Kafka cluster, read through its admin APIs'), 'broker to read')
  .option('--port <port>', 'HTTP port of the console', '8080')
  .option('--host <host>', 'address the console binds', '127.0.0.1')
  .action(consoleCommand);

bootstrapOption(program.command('producers <topic>').description('list the producers each partition of a topic tracks (id, epoch, last sequence, open transaction)'), 'broker to ask')
  .option('--json', 'print JSON instead of a table')
  .action(producersCommand);

program
  .command('verify')
  .description('produce N records through a fault-injecting proxy with idempotence off and on, then check the log for loss, duplicates and reordering')
  .option('--records <n>', 'records per run (100000 for a long run)', String(defaultVerifyRecords))
  .option('--seed <n>', 'seed of the fault schedule', '1')
  .option('--partitions <n>', 'partitions of the test topic', '3')
  .option('--bootstrap <host:port>', 'test an existing Kafka broker instead of an embedded seqlog broker (no crashes then)')
  .option('--client <name>', 'the producer under test: seqlog, or librdkafka (confluent-kafka; only from a clone of the seqlog repository, after `npm run setup`)', 'seqlog')
  .option('--json', 'print the result as JSON')
  .option('--transactions', 'instead: a consume-transform-produce pipeline (processor and proxy faults), at-least-once vs exactly-once, checked for duplicates, missing outputs and aborted reads')
  .option('--inputs <n>', 'with --transactions: input records per run', String(defaultTransactionalVerifyInputs))
  .action((options: Parameters<typeof verifyCommand>[0] & { transactions?: boolean; inputs: string }) => (options.transactions === true ? verifyTransactionsCommand(options) : verifyCommand(options)));

registerAdminCommands(program);
registerAclCommands(program);
registerClientCommands(program);
registerScramCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  reportFailure(error);
}
