import mqtt from 'mqtt';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';

const MESSAGES = 300;
const HOSTILE_IMG = '<img src=x onerror=window.__pwned=1>';
const HOSTILE_SCRIPT = '<script>window.__pwned=1</script>';
const title = (i: number): string => `Sensor reading ${String(i).padStart(3, '0')}`;

describe('the history screen in Chromium against the headless hub and mosquitto', () => {
  let dir: string;
  let shots: string;
  let broker: Mosquitto;
  let hub: HubProcess;
  let browser: Browser;
  let page: Page;
  const rows = () => page.getByTestId('message');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-history-ui-'));
    // The same folder as screens-ui.test.ts's screenshots.
    shots = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
    mkdirSync(shots, { recursive: true });
    broker = await startMosquitto(join(dir, 'broker'));
    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        deviceId: 'history-ui',
        connections: [{ id: 'plant', url: broker.url, subscriptions: [{ topic: 'plant/#', qos: 1, channel: 'Plant' }, { topic: 'office/#', qos: 1, channel: 'Office' }] }],
      }),
    );
    hub = await startHubProcess({ configPath, dataDir: join(dir, 'data') });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 800 }, locale: 'en-US' });
    await page.goto(hub.url);
    await page.getByRole('heading', { name: /History/ }).waitFor();
    await page.locator('.connection-connected').waitFor({ timeout: 10_000 });

    const publisher = await mqtt.connectAsync(broker.url);
    for (let i = 1; i <= MESSAGES; i++) {
      const body = i === 42 ? 'Quarterly zanzibar inspection due, see https://example.com/inspections' : `Value ${i} from line ${i % 5}`;
      const topic = i % 3 === 0 ? `office/floor${i % 4}` : `plant/line${i % 5}`;
      await publisher.publishAsync(topic, JSON.stringify({ id: `reading-${i}`, title: title(i), message: body, priority: (i % 5) + 1 }), { qos: 1 });
    }
    await publisher.publishAsync('plant/hostile', JSON.stringify({ id: 'hostile-img', title: HOSTILE_IMG, message: 'first hostile' }), { qos: 1 });
    await publisher.publishAsync('plant/hostile', JSON.stringify({ id: 'hostile-script', title: HOSTILE_SCRIPT, message: 'second hostile' }), { qos: 1 });
    await publisher.endAsync();
    await rows().filter({ hasText: 'second hostile' }).waitFor({ timeout: 10_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('draws only a window of rows, yet scrolling down reaches the oldest message', async () => {
    const drawnAtTop = await rows().count();
    expect(drawnAtTop).toBeGreaterThan(3);
    expect(drawnAtTop).toBeLessThan(100);
    const scroller = page.locator('.history-scroll');
    let maxDrawn = drawnAtTop;
    let scrolls = 0;
    while ((await rows().filter({ hasText: title(1) }).count()) === 0) {
      expect(++scrolls, 'scrolls needed to reach the oldest message').toBeLessThan(60);
      await scroller.evaluate((el) => el.scrollBy(0, el.clientHeight * 3));
      await page.waitForTimeout(120);
      maxDrawn = Math.max(maxDrawn, await rows().count());
    }
    const seqs = await rows().evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-seq'))));
    console.log(`history: ${MESSAGES + 2} messages, ${drawnAtTop} rows drawn at the top, at most ${maxDrawn} while scrolling, oldest reached after ${scrolls} scrolls`);
    expect(maxDrawn).toBeLessThan(100);
    expect(Math.min(...seqs)).toBe(1);
    await scroller.evaluate((el) => el.scrollTo(0, 0));
  });

  it('finds a message by a word of its body, marks the word, and clearing returns to the live history', async () => {
    const box = page.getByRole('searchbox', { name: 'Search messages' });
    await box.fill('ZANZIBAR');
    await expect.poll(() => rows().count(), { timeout: 5000 }).toBe(1);
    const row = rows().first();
    expect(await row.locator('.message-title').textContent()).toBe(title(42));
    expect(await row.locator('mark').allTextContents()).toEqual(['zanzibar']);
    // Open it: the full text, its link as a link, and the channel's "mark all read".
    await row.click();
    const view = page.getByTestId('message-view');
    await expect.poll(() => view.getAttribute('data-seq')).toBe(await row.getAttribute('data-seq'));
    expect(await view.getByRole('link', { name: 'https://example.com/inspections' }).getAttribute('href')).toBe('https://example.com/inspections');
    expect(await view.getByRole('button', { name: /Mark all read in Office/ }).count()).toBe(1);
    // Read, then unread again: the button follows the message's state.
    await view.getByRole('button', { name: 'Mark read', exact: true }).click();
    await view.getByRole('button', { name: 'Mark unread' }).click();
    await view.getByRole('button', { name: 'Mark read', exact: true }).waitFor();
    // The export holds what the list shows: the one message found.
    const exportForm = page.getByRole('form', { name: /Export/ });
    expect(await exportForm.getByTestId('export-only-shown').isChecked()).toBe(true);
    const download = page.waitForEvent('download', { timeout: 10_000 });
    await exportForm.getByRole('button', { name: 'Export' }).click();
    const lines = readFileSync(await (await download).path(), 'utf8').trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(['reading-42']);
    await box.fill('');
    await expect.poll(() => rows().count(), { timeout: 5000 }).toBeGreaterThan(5);
    expect(await rows().filter({ hasText: 'second hostile' }).count()).toBe(1);
  });

  it('moves through the list with the arrow keys and opens a message with Enter', async () => {
    await rows().first().click();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const focused = await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(name: string): string | null } | null } }).document.activeElement?.getAttribute('data-seq'));
    const third = await rows().nth(2).getAttribute('data-seq');
    expect(focused).toBe(third);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('message-view').getAttribute('data-seq')).toBe(third);
  });

  it('shows hostile titles as text and runs none of them', async () => {
    const img = rows().filter({ hasText: 'first hostile' });
    const script = rows().filter({ hasText: 'second hostile' });
    expect(await img.locator('.message-title').textContent()).toBe(HOSTILE_IMG);
    expect(await script.locator('.message-title').textContent()).toBe(HOSTILE_SCRIPT);
    await img.click();
    expect(await page.getByTestId('message-view').locator('h3').textContent()).toBe(HOSTILE_IMG);
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined();
  });

  it('opens without one violation of its Content-Security-Policy (zod probes for eval unless told not to)', async () => {
    const fresh = await browser.newPage({ viewport: { width: 1200, height: 800 }, locale: 'en-US' });
    try {
      await fresh.addInitScript(`window.__violations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));`);
      await fresh.goto(hub.url);
      await fresh.getByTestId('message').filter({ hasText: 'second hostile' }).waitFor();
      // Every screen once, so their code (and any schema it builds) has run.
      for (const tab of ['Channels', 'Connections', 'Settings', 'History']) {
        await fresh.getByRole('tab', { name: tab }).click();
        await fresh.getByRole('tabpanel').waitFor();
      }
      expect(await fresh.evaluate('window.__violations')).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('has no serious or critical axe violations, in English and in Chinese', async () => {
    const english = await seriousViolations(page);
    const enShot = join(shots, 'history-list-en.png');
    await page.screenshot({ path: enShot });

    // The language is a setting (the Settings screen); the core keeps it.
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('tab', { name: '历史记录' }).click();
    await page.getByRole('heading', { name: /历史记录/ }).waitFor();
    expect(await page.getByRole('searchbox', { name: '搜索消息' }).count()).toBe(1);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    const chinese = await seriousViolations(page);
    const zhShot = join(shots, 'history-list-zh-CN.png');
    await page.screenshot({ path: zhShot });
    console.log(`screenshots: ${enShot} ${zhShot}`);
    console.log(`axe serious/critical violations: en ${english.length}, zh-CN ${chinese.length}`);
    expect(english).toEqual([]);
    expect(chinese).toEqual([]);
    await page.getByRole('tab', { name: '设置' }).click();
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByRole('heading', { name: /History/ }).waitFor();
  });
});
