// `seqlog scram list|set|delete`: SCRAM credentials through the admin API (KIP-554), against seqlog or any Kafka,
// like `kafka-configs --entity-type users --alter --add-config 'SCRAM-SHA-256=[password=...]'`. The password is
// salted and hashed by the client; only the salted password travels. The admin connection itself may be secured
// with --ssl-ca and --sasl-* (an admin user authenticating to change others).
import type { Command } from 'commander';
import Table from 'cli-table3';
import { withAdmin } from './admin-commands.ts';
import { CliError } from './cli-failure.ts';
import { bootstrapOption, securityOptions, type ConnectionFlags } from './connection-options.ts';
import { tableStyle } from './terminal.ts';

const MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
type Mechanism = (typeof MECHANISMS)[number];

function mechanism(value: string): Mechanism {
  const upper = value.toUpperCase();
  if (!(MECHANISMS as readonly string[]).includes(upper)) throw new CliError(`--mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, got '${value}'`, 2);
  return upper as Mechanism;
}

/** `--bootstrap` and the flags that secure the admin connection (an admin user authenticating to change others). */
function connectionFlags(command: Command): Command {
  return securityOptions(bootstrapOption(command, 'broker to ask'));
}

export function registerScramCommands(program: Command): void {
  const scram = program.command('scram').description('list, set and delete SCRAM users (SCRAM-SHA-256, SCRAM-SHA-512)');
  connectionFlags(scram.command('list [users...]').description('users with SCRAM credentials, their mechanisms and iterations'))
    .option('--json', 'print JSON')
    .action((users: string[], flags: ConnectionFlags) =>
      withAdmin(flags, async (admin) => {
        const described = await admin.describeUserScramCredentials(users);
        if (flags.json === true) {
          process.stdout.write(`${JSON.stringify(described)}\n`);
          return;
        }
        const table = new Table({ head: ['user', 'mechanism', 'iterations'], ...tableStyle(process.stdout) });
        for (const { user, credentials } of described) for (const { mechanism: name, iterations } of credentials) table.push([user, name, iterations]);
        process.stdout.write(`${table.toString()}\n`);
      }, false),
    );
  connectionFlags(scram.command('set <user>').description('create or replace a user\'s SCRAM credential'))
    .requiredOption('--password <password>', 'the user\'s password (salted and hashed before it is sent)')
    .option('--mechanism <mechanism>', 'SCRAM-SHA-256 or SCRAM-SHA-512', 'SCRAM-SHA-256')
    .option('--iterations <n>', 'PBKDF2 iterations (4096..16384)', '4096')
    .action((user: string, flags: ConnectionFlags & { password: string; mechanism: string; iterations: string }) =>
      withAdmin(flags, async (admin) => {
        const iterations = Number(flags.iterations);
        if (!Number.isInteger(iterations)) throw new CliError(`--iterations must be an integer, got '${flags.iterations}'`, 2);
        await admin.alterUserScramCredentials([{ type: 'upsert', user, mechanism: mechanism(flags.mechanism), password: flags.password, iterations }]);
        process.stdout.write(`set ${mechanism(flags.mechanism)} credential of ${user}\n`);
      }, false),
    );
  connectionFlags(scram.command('delete <user>').description('delete a user\'s SCRAM credential'))
    .option('--mechanism <mechanism>', 'SCRAM-SHA-256 or SCRAM-SHA-512', 'SCRAM-SHA-256')
    .action((user: string, flags: ConnectionFlags & { mechanism: string }) =>
      withAdmin(flags, async (admin) => {
        await admin.alterUserScramCredentials([{ type: 'delete', user, mechanism: mechanism(flags.mechanism) }]);
        process.stdout.write(`deleted ${mechanism(flags.mechanism)} credential of ${user}\n`);
      }, false),
    );
}
