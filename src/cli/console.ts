// `seqlog console --bootstrap host:port`: the web console against any Kafka cluster, through its admin APIs
// (what they do not expose, such as the log end offset and the dedup window, is shown as "—").
import { Admin } from '../client/index.ts';
import { adminClusterState } from '../console/admin-cluster-state.ts';
import { startConsoleServer } from '../console/console-server.ts';
import { CliError } from './cli-failure.ts';

export interface ConsoleOptions {
  bootstrap: string;
  port: string;
  host: string;
}

export async function consoleCommand(options: ConsoleOptions): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port expects a port number, got '${options.port}'`, 2);
  const admin = new Admin({ bootstrap: options.bootstrap });
  const server = await startConsoleServer({ host: options.host, port, readState: () => adminClusterState(admin, `admin API of ${options.bootstrap}`) });
  process.stdout.write(`seqlog console for ${options.bootstrap} at ${server.url}\n`);
  const stop = async (): Promise<void> => {
    await server.close();
    await admin.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}
