// Captures golden frames from real Kafka clients (a script, not a test; `golden.test.ts` reads what it writes).
//
//   node --import tsx test/golden/capture.ts [client...]     (default: every client; see capture/client-drivers.ts)
//
// For each client: a fresh embedded broker that advertises a recording proxy's port, so that every connection the
// client opens goes through the proxy. The client produces the same few records once per codec it offers (one
// topic per codec) and then reads them all back. Every request frame and our broker's response are written to
// `frames/<client>/NNN-<api-name>-v<version>.{request,response}.bin` (whole frames, size prefix included) with a
// `manifest.json`. Requests repeated byte for byte (correlation id aside) with identical responses — metadata
// refreshes, empty long polls — are stored once and counted. Re-running replaces that client's directory.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker } from '../../src/broker/index.ts';
import { findApi } from '../../src/protocol/index.ts';
import { clientDrivers } from './capture/client-drivers.ts';
import type { ClientDriver } from './capture/client-drivers.ts';
import { RecordingProxy } from './capture/recording-proxy.ts';
import type { RecordedExchange } from './capture/recording-proxy.ts';
import { FRAMES_DIR, kebabApiName } from './golden-manifest.ts';
import type { ClientManifest, GoldenFrame, ProduceScenario, Scenario } from './golden-manifest.ts';

function topicFor(codec: string): string {
  return `golden-${codec}`;
}

/** The frame with its correlation id zeroed, so that repeats of one request compare equal. */
function withoutCorrelationId(frame: Buffer, at: number): Buffer {
  const copy = Buffer.from(frame);
  copy.writeInt32BE(0, at);
  return copy;
}

function dedupeKey(exchange: RecordedExchange): string {
  const hash = createHash('sha256');
  // Request: size(4) apiKey(2) apiVersion(2) correlationId(4). Response: size(4) correlationId(4).
  hash.update(withoutCorrelationId(exchange.request, 8));
  hash.update(exchange.response === null ? Buffer.from('no response') : withoutCorrelationId(exchange.response, 4));
  return hash.digest('hex');
}

function writeFrames(dir: string, exchanges: readonly RecordedExchange[]): GoldenFrame[] {
  const frames: GoldenFrame[] = [];
  const byKey = new Map<string, { dropped: number }>();
  const pending: { exchange: RecordedExchange; counter: { dropped: number } }[] = [];
  for (const exchange of exchanges) {
    const key = dedupeKey(exchange);
    const seen = byKey.get(key);
    if (seen !== undefined) {
      seen.dropped++;
      continue;
    }
    const counter = { dropped: 0 };
    byKey.set(key, counter);
    pending.push({ exchange, counter });
  }
  pending.forEach(({ exchange, counter }, i) => {
    const index = i + 1;
    const apiName = findApi(exchange.apiKey)?.name ?? `Unknown${exchange.apiKey}`;
    const base = `${String(index).padStart(3, '0')}-${kebabApiName(apiName)}-v${exchange.apiVersion}`;
    const request = `${base}.request.bin`;
    writeFileSync(join(dir, request), exchange.request);
    let response: string | null = null;
    if (exchange.response !== null) {
      response = `${base}.response.bin`;
      writeFileSync(join(dir, response), exchange.response);
    }
    frames.push({
      index,
      request,
      response,
      apiKey: exchange.apiKey,
      apiName,
      apiVersion: exchange.apiVersion,
      correlationId: exchange.correlationId,
      connection: exchange.connection,
      scenario: exchange.scenario,
      duplicatesDropped: counter.dropped,
    });
  });
  return frames;
}

/** JSON with one scenario and one frame per line, so that a re-capture reads well in a diff. */
function formatManifest(manifest: ClientManifest): string {
  const list = (items: readonly unknown[]): string => `[\n${items.map((item) => `    ${JSON.stringify(item)}`).join(',\n')}\n  ]`;
  const { scenarios, frames, ...head } = manifest;
  const fields = Object.entries(head).map(([name, value]) => `  ${JSON.stringify(name)}: ${JSON.stringify(value)}`);
  fields.push(`  "scenarios": ${list(scenarios)}`, `  "frames": ${list(frames)}`);
  return `{\n${fields.join(',\n')}\n}\n`;
}

async function capture(driver: ClientDriver): Promise<void> {
  let version: string;
  try {
    version = await driver.version();
  } catch (error) {
    driver.dispose?.();
    throw error;
  }
  const proxy = new RecordingProxy();
  const proxyPort = await proxy.listen();
  const broker = await startBroker({ advertisedHost: '127.0.0.1', advertisedPort: proxyPort });
  proxy.forwardTo(broker.port);
  const bootstrap = `127.0.0.1:${proxyPort}`;
  const scenarios: Scenario[] = [];
  try {
    for (const codec of driver.codecs) {
      const scenario: ProduceScenario = { name: `produce-${codec}`, kind: 'produce', topic: topicFor(codec), compression: codec, records: driver.records(codec) };
      scenarios.push(scenario);
      proxy.scenario = scenario.name;
      process.stderr.write(`${driver.client}: ${scenario.name}\n`);
      await driver.produce({ bootstrap, topic: scenario.topic, codec, records: scenario.records });
    }
    const produced = scenarios.filter((s): s is ProduceScenario => s.kind === 'produce');
    const topics = produced.map((s) => s.topic);
    scenarios.push({ name: 'consume', kind: 'consume', topics });
    proxy.scenario = 'consume';
    process.stderr.write(`${driver.client}: consume\n`);
    await driver.consume({ bootstrap, topics, count: produced.reduce((n, s) => n + s.records.length, 0) });
  } finally {
    // Let late responses (a long poll answered while the client closed) arrive before the proxy stops.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await proxy.close();
    await broker.close();
    rmSync(broker.dataDir, { recursive: true, force: true });
    driver.dispose?.();
  }

  const dir = join(FRAMES_DIR, driver.client);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const frames = writeFrames(dir, proxy.exchanges);
  const manifest: ClientManifest = {
    client: driver.client,
    implementation: driver.implementation,
    version,
    codecs: driver.codecs,
    scenarios,
    frames,
  };
  writeFileSync(join(dir, 'manifest.json'), formatManifest(manifest));
  const dropped = frames.reduce((n, f) => n + f.duplicatesDropped, 0);
  process.stderr.write(`${driver.client}: ${version}: ${frames.length} frames stored, ${dropped} duplicates dropped\n`);
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !clientDrivers.some((d) => d.client === name));
if (unknown.length > 0) {
  process.stderr.write(`unknown client(s) ${unknown.join(', ')}; known: ${clientDrivers.map((d) => d.client).join(', ')}\n`);
  process.exit(2);
}
for (const driver of clientDrivers) {
  if (wanted.length > 0 && !wanted.includes(driver.client)) continue;
  await capture(driver);
}
