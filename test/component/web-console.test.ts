// The web console in a real headless Chromium (Debian's package, driven by playwright-core; no browser is ever
// downloaded): every view loads without a console error, a transaction the test opens shows up as Ongoing and then
// as CompleteCommit, a retried batch answered from the dedup window is counted, and a consumer group shows its
// member, assignment and lag. A missing Chromium fails the test (`npm run setup` installs it).
// SEQLOG_UPDATE_SCREENSHOTS=1 writes the screenshots to docs/ (the README shows them); otherwise to a temp dir.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startBroker, type RunningBroker } from '../../src/broker/index.ts';
import { startConsoleServer, type ConsoleServer } from '../../src/console/console-server.ts';
import { BrokerConnection, Consumer, Producer } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/messages/generated/index.ts';
import { encodeRecordBatch } from '../../src/protocol/records/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const screenshotDir = process.env.SEQLOG_UPDATE_SCREENSHOTS === '1' ? join(import.meta.dirname, '../../docs') : mkdtempSync(join(tmpdir(), 'seqlog-console-'));

describe('web console in headless Chromium', { timeout: 90_000 }, () => {
  let broker: RunningBroker;
  let server: ConsoleServer;
  let userDataDir: string;
  let browser: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package (npm run setup does)`);
    broker = await startBroker({ topics: [{ name: 'orders', partitions: 2 }, { name: 'payments' }] });
    server = await startConsoleServer({ port: 0, readState: () => broker.describeState(), refreshMs: 200 });
    userDataDir = mkdtempSync(join(tmpdir(), 'seqlog-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 720 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await broker?.close();
    if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
    if (process.env.SEQLOG_UPDATE_SCREENSHOTS !== '1') rmSync(screenshotDir, { recursive: true, force: true });
  });

  it('shows an open transaction as Ongoing, then as CompleteCommit', async () => {
    await page.goto(`${server.url}#transactions`);
    await page.locator('#status[data-updated-at]').waitFor();
    const producer = new Producer({ bootstrap: broker.bootstrap, transactionalId: 'checkout-1' });
    try {
      await producer.beginTransaction();
      await producer.send([
        { topic: 'orders', partition: 0, value: 'order-1' },
        { topic: 'payments', partition: 0, value: 'payment-1' },
      ]);
      const state = page.locator('tr[data-transactional-id="checkout-1"] td[data-state]');
      await state.and(page.locator('[data-state="Ongoing"]')).waitFor({ timeout: 10_000 });
      // Both partitions are in the transaction once both sends are acknowledged (the page may show a state between).
      await page.locator('tr[data-transactional-id="checkout-1"] td', { hasText: /^orders-0, payments-0$/ }).waitFor({ timeout: 10_000 });
      await page.screenshot({ path: join(screenshotDir, 'console-transactions.png') });
      await producer.commitTransaction();
      await state.and(page.locator('[data-state="CompleteCommit"]')).waitFor({ timeout: 10_000 });
      await page.locator('#counter-transactionsCommitted', { hasText: /^1$/ }).waitFor({ timeout: 10_000 });
    } finally {
      await producer.close();
    }
  });

  it('counts a retried batch answered from the dedup window and shows the window per producer', async () => {
    const idempotent = new Producer({ bootstrap: broker.bootstrap });
    try {
      await idempotent.send(Array.from({ length: 12 }, (_, i) => ({ topic: 'orders', partition: i % 2, value: `order-${i + 2}` })));
    } finally {
      await idempotent.close();
    }
    await page.goto(`${server.url}#topics`);
    await page.locator('#counter-duplicateBatches', { hasText: /^0$/ }).waitFor({ timeout: 10_000 });
    const connection = await BrokerConnection.open({ host: '127.0.0.1', port: broker.port });
    let producerId: bigint;
    try {
      ({ producerId } = await connection.send(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }));
      const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('retried'), timestamp: BigInt(Date.now()) }], producerId, producerEpoch: 0, baseSequence: 0 });
      const produce = { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'payments', partitionData: [{ index: 0, records }] }] };
      // The same batch again, as a producer resends it when the first answer was lost.
      await connection.send(ApiKey.Produce, 9, produce);
      await connection.send(ApiKey.Produce, 9, produce);
    } finally {
      connection.close();
    }
    await page.locator('#counter-duplicateBatches', { hasText: /^1$/ }).waitFor({ timeout: 10_000 });
    const row = page.locator(`tr[data-partition="payments-0"][data-producer-id="${producerId}"]`);
    await row.waitFor({ timeout: 10_000 });
    // payments-0: the committed payment-1 (offset 0), its marker (1), then this batch (2), stored once.
    assert.equal(await row.locator('td.window').textContent(), '0..0 → 2');
    await page.screenshot({ path: join(screenshotDir, 'console-topics.png'), fullPage: true });
  });

  it('shows a consumer group with its member, assignment and lag', async () => {
    const consumer = new Consumer({ bootstrap: broker.bootstrap, groupId: 'billing', clientId: 'billing-1', autoOffsetReset: 'earliest', fetchMaxWaitMs: 50, enableAutoCommit: false });
    try {
      consumer.subscribe('orders');
      let read = 0;
      while (read < 3) {
        const batch = await consumer.nextBatch();
        if (batch === null) continue;
        read += batch.records.length;
        if (batch.partition === 0) await consumer.commit([{ topic: 'orders', partition: 0, offset: 2n }]);
      }
      await consumer.commit([{ topic: 'orders', partition: 0, offset: 2n }]);
      await page.goto(`${server.url}#groups`);
      const member = page.getByRole('cell', { name: 'billing-1', exact: true });
      await member.waitFor({ timeout: 10_000 });
      await member.locator('xpath=following-sibling::td[2]', { hasText: /^orders-0, orders-1$/ }).waitFor({ timeout: 10_000 });
      // orders-0 holds order-1 (committed transaction), its marker and six idempotent records: high watermark 8.
      await page.locator('tr[data-lag="billing/orders-0"] td', { hasText: /^6$/ }).last().waitFor({ timeout: 10_000 });
      await page.screenshot({ path: join(screenshotDir, 'console-groups.png') });
    } finally {
      await consumer.close();
    }
  });

  it('logged no console error on any view', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
