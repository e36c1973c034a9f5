// Runs bench/producer-peers/node-driver.ts (same arguments) once the parent says so, so that producer processes
// started together also send together: on a loaded machine their start-up (loading tsx and the client) takes
// seconds and varies, which would leave few moments with every producer sending. The modules the driver needs
// are loaded first; then this prints `ready`, waits for a line on stdin and imports the driver, which runs as
// if started directly.
import { createInterface } from 'node:readline';

await import('../../src/client/index.ts');
await import('kafkajs');
await import('@platformatic/kafka');
process.stdout.write('ready\n');
await new Promise<void>((resolve) => {
  const lines = createInterface({ input: process.stdin });
  lines.once('line', () => {
    lines.close();
    // An open stdin would keep the process alive after the driver is done.
    process.stdin.destroy();
    resolve();
  });
});
await import('../producer-peers/node-driver.ts');
