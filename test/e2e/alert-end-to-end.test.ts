import mqtt from 'mqtt';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.ts';
import { startDesktopSession, type DesktopSession } from '../helpers/desktop-session.ts';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/net.ts';
import { requireProgram } from '../helpers/programs.ts';

describe('one alert, end to end: mosquitto_pub -> SQLite -> D-Bus notification -> browser -> read receipt', () => {
  let dir: string;
  let broker: Mosquitto;
  let desktop: DesktopSession;
  let hub: HubProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-e2e-'));
    [broker, desktop] = await Promise.all([startMosquitto(join(dir, 'broker')), startDesktopSession()]);
    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        deviceId: 'e2e-desktop',
        connections: [
          {
            id: 'plant',
            url: broker.url,
            subscriptions: [{ topic: 'alerts/#', qos: 1, channel: 'Plant alarms' }],
            receipts: { topic: 'receipts/{device}/{channel}' },
          },
        ],
      }),
    );
    hub = await startHubProcess({ configPath, dataDir: join(dir, 'data'), env: desktop.env });
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(hub.url);
    await page.getByRole('heading', { name: /History/ }).waitFor();
    await page.locator('.connection-connected').waitFor({ timeout: 10_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await desktop?.stop();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores, notifies, shows within a second, and sends one read receipt when marked read', async () => {
    const mosquittoPub = requireProgram('mosquitto_pub', 'mosquitto-clients');
    const mosquittoSub = requireProgram('mosquitto_sub', 'mosquitto-clients');

    const receiptsOut: string[] = [];
    const subscriber = spawn(mosquittoSub, ['-p', String(broker.port), '-h', '127.0.0.1', '-q', '1', '-t', 'receipts/#', '-v'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    subscriber.stdout.on('data', (d: Buffer) => receiptsOut.push(...d.toString().split('\n').filter(Boolean)));

    const alert = {
      id: 'alarm-p104-0001',
      title: 'Pump P-104 pressure high',
      message: 'Discharge pressure 8.7 bar, limit 8.0 bar',
      priority: 5,
      tags: ['plant', 'alarm'],
    };
    const published = Date.now();
    execFileSync(mosquittoPub, ['-p', String(broker.port), '-h', '127.0.0.1', '-q', '1', '-t', 'alerts/pumps/p104', '-m', JSON.stringify(alert)]);

    // The browser shows it, unread, without a reload, within a second.
    const row = page.getByTestId('message').filter({ hasText: alert.title });
    await row.waitFor({ timeout: 1000 });
    const shownAfterMs = Date.now() - published;
    console.log(`alert visible in the browser ${shownAfterMs} ms after mosquitto_pub returned`);
    await expect.poll(() => row.getAttribute('data-unread')).toBe('true');
    expect(await row.textContent()).toContain(alert.message);
    expect(await row.textContent()).toContain('Plant alarms');

    // The row is in SQLite.
    const db = new DatabaseSync(join(dir, 'data', 'messages.sqlite'), { readOnly: true });
    const stored = db.prepare('SELECT * FROM messages WHERE id = ?').get(alert.id) as Record<string, unknown> | undefined;
    expect(stored).toMatchObject({
      connection_id: 'plant',
      channel: 'Plant alarms',
      topic: 'alerts/pumps/p104',
      title: alert.title,
      body: alert.message,
      priority: 5,
      read_at_ms: null,
    });

    // The OS notification really went over D-Bus, critical because priority is 5.
    const notify = await desktop.waitForNotify(alert.title);
    expect(notify.appName).toBe('Pushdesk');
    expect(notify.body).toBe(alert.message);
    expect(notify.urgency).toBe(2);
    expect(notify.expireTimeoutMs).toBe(0); // a critical alert stays until dismissed

    // Mark read: the row changes and one receipt reaches the separate subscriber.
    await row.getByRole('button', { name: 'Mark read' }).click();
    await expect.poll(() => row.getAttribute('data-unread')).toBe('false');
    const line = await waitFor('the read receipt', () => receiptsOut[0], 10_000);
    subscriber.kill();
    const topic = line.slice(0, line.indexOf(' {'));
    expect(topic).toBe('receipts/e2e-desktop/Plant alarms');
    const receipt = JSON.parse(line.slice(topic.length + 1)) as Record<string, unknown>;
    expect(receipt).toMatchObject({
      type: 'receipt',
      messageId: alert.id,
      channel: 'Plant alarms',
      topic: 'alerts/pumps/p104',
      status: 'read',
      deviceId: 'e2e-desktop',
    });
    expect(typeof receipt.receiptId).toBe('string');
    expect(Date.parse(receipt.time as string)).toBeGreaterThanOrEqual(published - 1000);
    const readRow = db.prepare('SELECT read_at_ms FROM messages WHERE id = ?').get(alert.id) as { read_at_ms: number | null };
    expect(readRow.read_at_ms).not.toBeNull();
    db.close();
    expect(receiptsOut).toHaveLength(1);
  });

  it('sends delivered, displayed (after the real D-Bus Notify) and read receipts when the sender asks for them', async () => {
    const mosquittoPub = requireProgram('mosquitto_pub', 'mosquitto-clients');
    const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
    const receipts: { status: string; messageId: string; receiptId: string; at: number }[] = [];
    subscriber.on('message', (_topic, payload) => {
      const receipt = JSON.parse(payload.toString()) as { status: string; messageId: string; receiptId: string };
      if (receipt.messageId === 'ask-receipts-1') receipts.push({ ...receipt, at: Date.now() });
    });
    await subscriber.subscribeAsync('receipts/#', { qos: 1 });
    const message = { id: 'ask-receipts-1', title: 'Shift handover at 14:00', message: 'Please confirm', receipts: ['delivered', 'displayed', 'read'] };
    execFileSync(mosquittoPub, ['-p', String(broker.port), '-h', '127.0.0.1', '-q', '1', '-t', 'alerts/shift', '-m', JSON.stringify(message)]);
    const notify = await desktop.waitForNotify(message.title);
    const notifiedAt = Date.now();
    await waitFor('delivered and displayed receipts', () => (receipts.length >= 2 ? true : undefined), 10_000);
    expect(receipts.map((r) => r.status)).toEqual(['delivered', 'displayed']);
    expect(notify.body).toBe(message.message);
    // displayed is sent only once notify-send returned, that is after the Notify call went over D-Bus.
    expect((receipts[1] as { at: number }).at).toBeGreaterThanOrEqual(notifiedAt - 1000);
    const row = page.getByTestId('message').filter({ hasText: message.title });
    await row.getByRole('button', { name: 'Mark read' }).click();
    await waitFor('the read receipt', () => (receipts.length >= 3 ? true : undefined), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // time for a duplicate to show up
    expect(receipts.map((r) => r.status)).toEqual(['delivered', 'displayed', 'read']);
    expect(new Set(receipts.map((r) => r.receiptId)).size).toBe(3);
    await subscriber.endAsync();
  });

  it('shows hostile markup as text in the browser and escaped in the notification', async () => {
    const mosquittoPub = requireProgram('mosquitto_pub', 'mosquitto-clients');
    const title = '<img src=x onerror="window.__pwned=1"> & <script>window.__pwned=2</script>';
    const body = '<b>bold?</b> "quoted"\n<a href="javascript:alert(1)">second line</a>';
    execFileSync(mosquittoPub, ['-p', String(broker.port), '-h', '127.0.0.1', '-q', '1', '-t', 'alerts/hostile', '-m', JSON.stringify({ id: 'hostile-1', title, message: body, priority: 3 })]);
    const row = page.locator('[data-testid="message"]').filter({ hasText: 'bold?' });
    await row.waitFor({ timeout: 5000 });
    expect(await row.locator('.message-title').textContent()).toBe(title);
    expect(await row.locator('.message-body').textContent()).toBe(body);
    expect(await row.locator('img, script, b, a[href^="javascript"]').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    const notify = await desktop.waitForNotify(title);
    expect(notify.body).toBe('&lt;b&gt;bold?&lt;/b&gt; "quoted"\n&lt;a href="javascript:alert(1)"&gt;second line&lt;/a&gt;');
    expect(notify.urgency).toBe(1);
  });
});
