// The flags every command that talks to a broker shares, declared once: where the broker is (`--bootstrap`), how
// to reach it when it is secured (`--ssl-ca`, `--sasl-*`, for the commands that offer them); and the admin client
// options those flags make.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AdminOptions, SaslOptions } from '../client/index.ts';
import { CliError } from './cli-failure.ts';

export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';

/** The flags `bootstrapOption` and `securityOptions` declare (and `--json`), as commander parses them. */
export interface ConnectionFlags {
  bootstrap: string;
  sslCa?: string;
  saslMechanism?: string;
  saslUsername?: string;
  saslPassword?: string;
  json?: boolean;
}

/** `--bootstrap <host:port>` (default 127.0.0.1:9092), with kcat's `-b` where `short` asks for it. */
export function bootstrapOption(command: Command, help: string, options: { short?: boolean } = {}): Command {
  return command.option(`${options.short === true ? '-b, ' : ''}--bootstrap <host:port>`, help, DEFAULT_BOOTSTRAP);
}

/** `--ssl-ca` and `--sasl-mechanism/-username/-password`: a secured connection for the admin client. */
export function securityOptions(command: Command): Command {
  return command
    .option('--ssl-ca <file>', 'connect with TLS, trusting this CA (PEM)')
    .option('--sasl-mechanism <mechanism>', 'authenticate the admin connection: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512')
    .option('--sasl-username <user>')
    .option('--sasl-password <password>');
}

/** The admin client options of the CLI's commands, secured as `securityOptions` asked. */
export function adminOptionsOf(flags: ConnectionFlags): AdminOptions {
  const options: { -readonly [K in keyof AdminOptions]: AdminOptions[K] } = { bootstrap: flags.bootstrap, clientId: 'seqlog-cli', timeoutMs: 15000 };
  if (flags.sslCa !== undefined) options.ssl = { ca: readFileSync(flags.sslCa, 'utf8') };
  if (flags.saslMechanism !== undefined) {
    if (flags.saslUsername === undefined || flags.saslPassword === undefined) throw new CliError('--sasl-mechanism needs --sasl-username and --sasl-password', 2);
    options.sasl = { mechanism: flags.saslMechanism.toUpperCase(), username: flags.saslUsername, password: flags.saslPassword } as SaslOptions;
  }
  return options;
}
