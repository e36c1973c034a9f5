// How the command line reports a failure: one line on stderr saying what happened and what to do, and a non-zero
// exit status; no stack trace (`SEQLOG_DEBUG=1` adds it, for bug reports). Exit status 2 is a usage or
// configuration mistake, 1 anything else.
import { ConfigError } from '../broker/config.ts';
import { DataDirLockedError } from '../broker/data-dir-lock.ts';

/** A failure the command already explained: `message` says what happened and what to do. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** The Node system error (errno) behind `error`, following `cause` links. */
function systemErrorIn(error: unknown): SystemError | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as SystemError).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return current as SystemError;
  }
  return null;
}

/** The one line printed for `error`, and the exit status. */
export function describeFailure(error: unknown): { line: string; exitCode: 1 | 2 } {
  if (error instanceof CliError) return { line: error.message, exitCode: error.exitCode };
  if (error instanceof ConfigError) return { line: `invalid configuration: ${error.message}`, exitCode: 2 };
  if (error instanceof DataDirLockedError) {
    return { line: `${error.message}; stop that broker first, or give this one another directory with --data <dir>`, exitCode: 1 };
  }
  const system = systemErrorIn(error);
  if (system !== null) {
    const where = system.address !== undefined && system.port !== undefined ? `${system.address}:${system.port}` : '';
    if (system.syscall === 'listen' && system.code === 'EADDRINUSE') {
      return { line: `cannot listen on ${where}: the port is in use by another process; stop it, or pick another port with --port <port>`, exitCode: 1 };
    }
    if (system.syscall === 'listen' && system.code === 'EACCES') {
      return { line: `cannot listen on ${where}: permission denied; use a port above 1023 with --port <port>`, exitCode: 1 };
    }
    if (system.code === 'ECONNREFUSED') {
      return { line: `cannot connect to ${where || 'the broker'}: connection refused; is a broker running there? Start one with \`npx seqlog serve\` or pass --bootstrap host:port`, exitCode: 1 };
    }
    if (system.code === 'ENOTFOUND' || system.code === 'EAI_AGAIN') {
      return { line: `cannot resolve host '${system.hostname ?? '?'}'; check the --bootstrap address`, exitCode: 1 };
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return { line: message, exitCode: 1 };
}

/** Prints `error` as one line (plus its stack under SEQLOG_DEBUG=1) and sets the exit status. */
export function reportFailure(error: unknown): void {
  const { line, exitCode } = describeFailure(error);
  process.stderr.write(`seqlog: ${line}\n`);
  if (process.env.SEQLOG_DEBUG === '1' && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
  process.exitCode = exitCode;
}
