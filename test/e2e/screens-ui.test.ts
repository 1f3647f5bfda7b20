import mqtt, { type MqttClient } from 'mqtt';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next from 'i18next';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { ScriptedSignals } from '../../electron/core/heartbeat/system-signals.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import { startHeadless, type HeadlessApp } from '../../electron/headless/headless-app.ts';
import { localiseLockReason } from '../../renderer/src/lock-reason.ts';
import { seriousViolations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { waitFor } from '../helpers/net.ts';

/** Where the screenshots of the window go (the same folder as history-ui.test.ts's). */
const SHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

const SCREENS = ['history', 'channels', 'connections', 'settings'] as const;
type Screen = (typeof SCREENS)[number];

/** The page's document, for code evaluated in the page (the tests are typed without the DOM). */
interface PageGlobals {
  readonly document: { readonly activeElement: { readonly id: string; readonly textContent: string | null; getAttribute(name: string): string | null } | null };
}

/**
 * Every piece of text the page shows or gives to assistive technology that has Latin words in it
 * (text nodes, aria-label, title, placeholder, alt, <option> labels), without repeats: what the
 * Chinese window still shows in English, to be judged (ours must come from i18n; messages, names
 * and the core's own words may stay).
 */
async function latinTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    interface El { readonly tagName: string; readonly textContent: string | null; getAttribute(name: string): string | null; closest(sel: string): El | null }
    const doc = (globalThis as unknown as {
      document: { body: unknown; createTreeWalker(root: unknown, what: number): { nextNode(): { textContent: string | null; parentElement: El | null } | null }; querySelectorAll(sel: string): Iterable<El> };
    }).document;
    const found = new Set<string>();
    const latin = (text: string | null | undefined): void => {
      const clean = (text ?? '').replace(/\s+/g, ' ').trim();
      if (/[A-Za-z]{2,}/.test(clean)) found.add(clean);
    };
    const walker = doc.createTreeWalker(doc.body, 4 /* NodeFilter.SHOW_TEXT */);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement?.closest('script, style')) continue;
      latin(node.textContent);
    }
    for (const el of doc.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
      for (const name of ['aria-label', 'title', 'placeholder', 'alt']) latin(el.getAttribute(name));
    }
    return [...found].sort();
  });
}

describe('the Channels, Connections and Settings screens in Chromium against the headless hub and mosquitto', () => {
  let dir: string;
  let broker: Mosquitto;
  let hub: HubProcess;
  let browser: Browser;
  let page: Page;
  let publisher: MqttClient;
  let policyPath: string;
  /** What the window shows in English, per screen, while it is in Chinese. */
  const englishInChinese = new Map<string, string[]>();
  const rows = () => page.getByTestId('message');
  const channel = (name: string) => page.getByTestId('channel').filter({ has: page.getByRole('heading', { name, exact: true }) });
  const show = async (screen: Screen): Promise<void> => {
    await page.getByTestId(`tab-${screen}`).click();
    await page.getByTestId(`panel-${screen}`).waitFor();
  };
  const publish = (topic: string, id: string, title: string): Promise<unknown> =>
    publisher.publishAsync(topic, JSON.stringify({ id, title, message: `${title}, published by the test` }), { qos: 1 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-screens-ui-'));
    mkdirSync(SHOTS, { recursive: true });
    broker = await startMosquitto(join(dir, 'broker'));
    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        deviceId: 'screens-ui',
        connections: [
          {
            id: 'plant',
            url: broker.url,
            subscriptions: [{ topic: 'plant/alarms/#', qos: 1, channel: 'Alarms' }],
            // Offered in the Channels screen, not subscribed until the person subscribes.
            directory: { channels: [{ topic: 'plant/shift/#', channel: 'Shift', description: 'Shift handover notes' }] },
          },
        ],
      }),
    );
    policyPath = join(dir, 'policy.json');
    writeFileSync(
      policyPath,
      JSON.stringify({
        lock: ['notifications.quietHours'],
        mandatoryChannels: [{ connectionId: 'plant', topic: 'plant/safety/#', channel: 'Safety' }],
      }),
    );
    hub = await startHubProcess({ configPath, dataDir: join(dir, 'data'), extraArgs: ['--policy', policyPath] });
    publisher = await mqtt.connectAsync(broker.url);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
    await page.goto(hub.url);
    await page.getByRole('heading', { name: /History/ }).waitFor();
    await page.locator('.connection-connected').waitFor({ timeout: 15_000 });
    await publish('plant/alarms/line1', 'alarm-1', 'Line 1 pressure high');
    await rows().filter({ hasText: 'Line 1 pressure high' }).waitFor({ timeout: 10_000 });
  }, 60_000);

  afterAll(async () => {
    await publisher?.endAsync();
    await browser?.close();
    await hub?.stop();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('moves between the screens with the arrow keys of the tab list', async () => {
    await page.getByRole('tab', { name: 'History' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.getByTestId('panel-channels').waitFor();
    expect(await page.getByRole('tab', { name: 'Channels' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe('tab-channels');
    await page.keyboard.press('End');
    await page.getByTestId('panel-settings').waitFor();
    await page.keyboard.press('Home');
    await page.getByTestId('panel-history').waitFor();
  });

  it('subscribes to an offered channel and receives its messages; unsubscribed, it receives none', async () => {
    await show('channels');
    const shift = channel('Shift');
    await shift.waitFor();
    const toggle = shift.getByRole('switch', { name: 'Subscribed' });
    expect(await toggle.isChecked()).toBe(false);
    expect(await shift.textContent()).toContain('Shift handover notes');

    await toggle.check();
    await expect.poll(() => toggle.isChecked()).toBe(true);
    await expect.poll(() => toggle.isDisabled()).toBe(false); // the call came back
    await publish('plant/shift/a', 'shift-1', 'Shift note while subscribed');
    await show('history');
    await rows().filter({ hasText: 'Shift note while subscribed' }).waitFor({ timeout: 10_000 });

    await show('channels');
    const again = channel('Shift').getByRole('switch', { name: 'Subscribed' });
    await again.uncheck();
    await expect.poll(() => again.isChecked()).toBe(false);
    await expect.poll(() => again.isDisabled()).toBe(false);
    await publish('plant/shift/a', 'shift-2', 'Shift note after unsubscribing');
    // A message on a subscribed topic, published after it: once it is shown, the other would have been too.
    await publish('plant/alarms/line2', 'alarm-2', 'Line 2 after the unsubscribe');
    await show('history');
    await rows().filter({ hasText: 'Line 2 after the unsubscribe' }).waitFor({ timeout: 10_000 });
    await page.waitForTimeout(1000);
    expect(await rows().filter({ hasText: 'Shift note after unsubscribing' }).count()).toBe(0);
    expect(await rows().filter({ hasText: 'Shift note while subscribed' }).count()).toBe(1);
  });

  it('shows a mandatory channel with a lock, and its subscription cannot be turned off', async () => {
    await show('channels');
    const safety = channel('Safety');
    await safety.waitFor();
    const toggle = safety.getByRole('switch', { name: 'Subscribed' });
    expect(await toggle.isChecked()).toBe(true);
    expect(await toggle.isDisabled()).toBe(true);
    expect(await safety.getByTestId('lock-note').textContent()).toContain('Managed by your organisation');
    expect(await safety.getByRole('img', { name: 'Locked' }).count()).toBe(1);
  });

  it('shows a setting the policy locks as disabled, with the reason', async () => {
    await show('settings');
    const quiet = page.getByTestId('quiet-hours');
    await quiet.waitFor();
    expect(await quiet.getByRole('checkbox', { name: 'Quiet hours on' }).isDisabled()).toBe(true);
    expect(await quiet.getByRole('button', { name: 'Save quiet hours' }).isDisabled()).toBe(true);
    expect(await quiet.getByRole('button', { name: 'Add a time' }).isDisabled()).toBe(true);
    const reason = await quiet.getByTestId('lock-note').textContent();
    console.log(`quiet hours lock shown as: ${reason}`);
    expect(reason?.trim()).toBe(`Set by your organisation (managed policy ${policyPath})`);
    // The checkbox's description is the reason.
    const describedBy = await quiet.getByRole('checkbox', { name: 'Quiet hours on' }).getAttribute('aria-describedby');
    expect(describedBy).not.toBeNull();
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toBe(reason);
    // Start at login is only in the desktop app.
    expect(await page.getByTestId('setting-start-at-login').isDisabled()).toBe(true);
  });

  it('rejects an invalid URL in the connection form, on that field', async () => {
    await show('connections');
    await page.getByTestId('connection-card').first().waitFor();
    await page.getByRole('button', { name: 'Add connection' }).click();
    const form = page.getByTestId('connection-form');
    await form.getByLabel('Name (id)').fill('second');
    await form.getByLabel('Server address (URL)').fill('http://broker.example.com');
    await form.getByLabel('Topic 1', { exact: true }).fill('plant/#');
    await form.getByLabel('Channel of topic 1').fill('Plant');
    await form.getByRole('button', { name: 'Save' }).click();
    const url = form.getByLabel('Server address (URL)');
    await expect.poll(() => url.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await url.getAttribute('aria-describedby'))?.split(' ') ?? [];
    const descriptions = await Promise.all(describedBy.map((id) => page.locator(`[id="${id}"]`).textContent()));
    expect(descriptions).toContain('Enter an address starting with mqtt://, mqtts://, ws:// or wss://.');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('type'))).toBe('url');
    // The other fields are fine.
    expect(await form.getByLabel('Name (id)').getAttribute('aria-invalid')).toBeNull();
    // Ids, addresses and topics are not words: no spelling marks under them.
    for (const label of ['Name (id)', 'Server address (URL)']) expect(await form.getByLabel(label).getAttribute('spellcheck')).toBe('false');
    expect(await form.getByLabel('Topic 1', { exact: true }).getAttribute('spellcheck')).toBe('false');
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it("shows the core's own field errors next to the field, then adds a connection, tests it and removes it after confirmation", async () => {
    await show('connections');
    await page.getByRole('button', { name: 'Add connection' }).click();
    const form = page.getByTestId('connection-form');
    await form.getByLabel('Name (id)').fill('ntfy-test');
    await form.getByLabel('Kind').selectOption('ntfy');
    await form.getByLabel('Server address (URL)').fill('http://127.0.0.1:9');
    // Only the core knows that an ntfy user name needs a password.
    await form.getByLabel('User name (optional)').fill('ana');
    await form.getByLabel('Topic 1', { exact: true }).fill('builds');
    await form.getByLabel('Channel of topic 1').fill('Builds');
    await form.getByRole('button', { name: 'Save' }).click();
    const username = form.getByLabel('User name (optional)');
    await expect.poll(() => username.getAttribute('aria-invalid')).toBe('true');
    const errorId = (await username.getAttribute('aria-describedby')) ?? '';
    const coreWords = await page.locator(`[id="${errorId}"]`).textContent();
    console.log(`the core's field error for connection.username: ${coreWords}`);
    expect(coreWords).toMatch(/password/);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe(await username.getAttribute('id'));

    // Fixed, it saves; the new connection gets a card with its live state.
    await form.getByLabel('Kind').selectOption('mqtt');
    await form.getByLabel('Server address (URL)').fill(broker.url);
    await form.getByLabel('User name (optional)').fill('');
    await form.getByLabel('Topic 1', { exact: true }).fill('lab/#');
    await form.getByLabel('Channel of topic 1').fill('Lab');
    await form.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => form.getByTestId('test-outcome').textContent(), { timeout: 10_000 }).toMatch(/^Connection works/);
    await form.getByRole('button', { name: 'Save' }).click();
    const card = page.getByTestId('connection-card').and(page.locator('[data-id="ntfy-test"]'));
    await card.waitFor({ timeout: 10_000 });
    await expect.poll(() => card.getByTestId('connection-state').textContent(), { timeout: 10_000 }).toBe('connected');
    expect(await page.locator('.connections .connection').filter({ hasText: 'ntfy-test' }).count()).toBe(1);

    await card.getByRole('button', { name: 'Remove' }).click();
    const confirm = card.getByTestId('confirm-remove');
    expect(await confirm.textContent()).toContain('Remove the connection ntfy-test?');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent)).toBe('Yes, remove it');
    await page.keyboard.press('Enter');
    await page.getByTestId('connection-card').and(page.locator('[data-id="ntfy-test"]')).waitFor({ state: 'detached', timeout: 10_000 });
    await page.locator('.connections .connection').filter({ hasText: 'ntfy-test' }).waitFor({ state: 'detached', timeout: 10_000 });
  });

  it("mutes a channel for an hour and unmutes it, and changes its lowest priority", async () => {
    await show('channels');
    const alarms = channel('Alarms');
    await alarms.getByLabel('Mute for').selectOption('60');
    await alarms.getByRole('button', { name: 'Mute', exact: true }).click();
    await expect.poll(() => alarms.getByTestId('mute-state').textContent()).toMatch(/^Muted until /);
    await alarms.getByRole('button', { name: 'Unmute' }).click();
    await expect.poll(() => alarms.getByTestId('mute-state').textContent()).toBe('Not muted.');
    await alarms.getByLabel('Lowest priority that pops up').selectOption('4');
    await expect.poll(() => alarms.getByLabel('Lowest priority that pops up').isDisabled()).toBe(false);
    // Read again from the core: the rule was kept.
    await show('history');
    await show('channels');
    expect(await channel('Alarms').getByLabel('Lowest priority that pops up').inputValue()).toBe('4');
  });

  it('saves a setting as soon as it changes, and downloads the diagnostics bundle', async () => {
    await show('settings');
    const sound = page.getByTestId('setting-sound');
    const before = await sound.isChecked();
    await sound.setChecked(!before);
    await page.getByTestId('panel-settings').getByText('Saved.').first().waitFor();
    await show('history');
    await show('settings');
    expect(await page.getByTestId('setting-sound').isChecked()).toBe(!before);
    await page.getByTestId('setting-sound').setChecked(before);

    const download = page.waitForEvent('download', { timeout: 10_000 });
    await page.getByTestId('diagnostics').click();
    const file = await download;
    const text = readFileSync(await file.path(), 'utf8');
    console.log(`diagnostics bundle: ${file.suggestedFilename()}, ${text.length} characters`);
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it('has no serious or critical axe violation on any screen, in both languages and both themes; screenshots of each', async () => {
    const found: string[] = [];
    const saved: string[] = [];
    for (const language of ['en', 'zh-CN'] as const) {
      for (const theme of ['light', 'dark'] as const) {
        await show('settings');
        const languageSelect = page.getByTestId('language');
        if ((await languageSelect.inputValue()) !== language) await languageSelect.selectOption(language);
        await expect.poll(() => page.locator('html').getAttribute('lang')).toBe(language);
        await page.getByTestId('theme').selectOption(theme);
        await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe(theme);
        const background = await page.locator('body').evaluate((body) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(body).backgroundColor);
        expect(background).toBe(theme === 'dark' ? 'rgb(17, 24, 39)' : 'rgb(255, 255, 255)');

        for (const screen of SCREENS) {
          await show(screen);
          if (screen === 'history') await rows().first().waitFor();
          if (screen === 'channels') await page.getByTestId('channel').first().waitFor();
          if (screen === 'connections') {
            await page.getByTestId('connection-card').first().waitFor();
            // The form open, with a mistake shown, so both are checked and pictured.
            await page.getByTestId('tab-connections').focus();
            await page.locator('.panel button.primary').first().click();
            const form = page.getByTestId('connection-form');
            await form.locator('input[type="url"]').fill('ftp://example.com');
            await form.locator('button[type="submit"]').click();
            await form.locator('[aria-invalid="true"]').first().waitFor();
          }
          if (screen === 'connections' && language === 'zh-CN') {
            // The core's reasons arrive as codes and numbers beside its English words: worded in Chinese here.
            const plant = page.locator('[data-testid="connection-card"][data-id="plant"]');
            await expect.poll(() => plant.getByTestId('connection-state-reason').textContent()).toBe('已连接');
            const heartbeat = (await plant.getByTestId('connection-heartbeat').textContent()) ?? '';
            expect(heartbeat).toMatch(/^每 [\d,]+ 秒（(交流电源|电池|低电量|睡眠中|离线)[^A-Za-z]*）$/);
            console.log(`connection plant in Chinese: 已连接; heartbeat ${heartbeat}`);
          }
          if (screen === 'settings') await page.getByTestId('settings-notifications').waitFor();
          if (screen === 'settings' && language === 'zh-CN') {
            // The core's English lock reason, in Chinese, still naming the policy file; still the checkbox's description.
            const note = page.getByTestId('quiet-hours').getByTestId('lock-note');
            expect((await note.textContent())?.trim()).toBe(`由您的组织设置（托管策略 ${policyPath}）`);
            const describedBy = await page.getByTestId('quiet-enabled').getAttribute('aria-describedby');
            expect(await page.locator(`[id="${describedBy}"]`).textContent()).toBe(await note.textContent());
          }
          await page.mouse.move(0, 0);
          if (language === 'zh-CN' && theme === 'light') englishInChinese.set(screen, await latinTexts(page));
          const violations = await seriousViolations(page);
          for (const v of violations) found.push(`${screen} ${language} ${theme}: ${v.id} (${v.nodes}) ${v.help} ${v.targets}`);
          const file = join(SHOTS, `${screen}-${language}-${theme}.png`);
          await page.screenshot({ path: file, fullPage: true });
          saved.push(file);
          if (screen === 'connections') await page.getByTestId('connection-form').locator('.buttons button').last().click();
        }
      }
    }
    console.log(`screenshots:\n${saved.join('\n')}`);
    console.log(`axe serious/critical violations: ${found.length}\n${found.join('\n')}`);
    console.log(`Latin text in the Chinese window:\n${[...englishInChinese].map(([screen, texts]) => `${screen}:\n  ${texts.join('\n  ')}`).join('\n')}`);
    expect(found).toEqual([]);
    // Back to English, following the system's theme.
    await show('settings');
    await page.getByTestId('language').selectOption('en');
    await page.getByTestId('theme').selectOption('system');
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBeNull();
  }, 120_000);
});

describe("lock reasons in the window's language", () => {
  const resources = (language: string): Record<string, unknown> =>
    JSON.parse(readFileSync(fileURLToPath(new URL(`../../renderer/src/i18n/${language}.json`, import.meta.url)), 'utf8')) as Record<string, unknown>;
  const translator = async (language: 'en' | 'zh-CN') => {
    const i18n = i18next.createInstance();
    await i18n.init({ resources: { [language]: { translation: resources(language) } }, lng: language, interpolation: { escapeValue: false } });
    return i18n.t.bind(i18n);
  };

  it("shows the core's known forms in English as the core writes them, and in Chinese with the policy's source", async () => {
    const en = await translator('en');
    const zh = await translator('zh-CN');
    const cases: [string, string][] = [
      ['Set by your organisation (managed policy /etc/pushdesk/policy.json)', '由您的组织设置（托管策略 /etc/pushdesk/policy.json）'],
      ['Set by your organisation (managed policy)', '由您的组织设置（托管策略）'],
      ['Set up by your organisation (managed policy /etc/pushdesk/policy.json)', '由您的组织配置（托管策略 /etc/pushdesk/policy.json）'],
      ['Set up by your organisation (managed policy)', '由您的组织配置（托管策略）'],
      ['Set by your organisation (managed policy registry HKLM\\Software\\Policies\\Pushdesk)', '由您的组织设置（托管策略 注册表 HKLM\\Software\\Policies\\Pushdesk）'],
      [
        'Set up by your organisation (managed policy managed preferences /Library/Managed Preferences/com.pushdesk.app.plist)',
        '由您的组织配置（托管策略 托管偏好设置 /Library/Managed Preferences/com.pushdesk.app.plist）',
      ],
      // The form docs/window.md shows, without "managed policy".
      ['Set by your organisation (C:\\ProgramData\\Pushdesk\\policy (1).json)', '由您的组织设置（托管策略 C:\\ProgramData\\Pushdesk\\policy (1).json）'],
    ];
    for (const [reason, chinese] of cases) {
      expect(localiseLockReason(reason, zh)).toBe(chinese);
      // English keeps the core's words (the last case gains "managed policy").
      expect(localiseLockReason(reason, en)).toBe(reason.includes('(managed policy') ? reason : reason.replace('(', '(managed policy '));
    }
    // Anything else is shown as given, in either language.
    for (const other of ['Locked by the desktop shell', '由您的组织管理', '']) {
      expect(localiseLockReason(other, zh)).toBe(other);
      expect(localiseLockReason(other, en)).toBe(other);
    }
  });
});

describe('a connection proposed by a pushdesk://add-connection link, with the hub in the test process', () => {
  let dir: string;
  let broker: Mosquitto;
  let app: HeadlessApp;
  let browser: Browser;
  let page: Page;
  const form = () => page.getByTestId('connection-form');
  const focusedId = (): Promise<string | undefined> => page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-proposal-ui-'));
    broker = await startMosquitto(join(dir, 'broker'));
    const config = parseConfig({ deviceId: 'proposal-ui', connections: [{ id: 'plant', url: broker.url, subscriptions: [{ topic: 'plant/#', qos: 1, channel: 'Plant' }] }] });
    // The hub as the headless CLI starts it, but here, so the test can call hub.proposeConnection as the desktop shell does.
    app = await startHeadless({ config, dataDir: join(dir, 'data'), notifier: { show: () => {} }, logger: silentLogger, signals: new ScriptedSignals() });
    await waitFor('the connection', () => (app.hub.connectionStatuses()[0]?.state === 'connected' ? true : undefined), 15_000);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
    await page.goto(app.bridge.url);
    await page.locator('.connection-connected').waitFor({ timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens the add form from any screen with the address, the kind from its scheme and no name when the name has nothing usable; nothing is saved', async () => {
    await page.getByTestId('tab-settings').click();
    await page.getByTestId('panel-settings').waitFor();
    app.hub.proposeConnection('https://ntfy.example.com', '工厂');
    await form().waitFor({ timeout: 10_000 });
    expect(await page.getByRole('tab', { name: 'Connections' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe('#connections');
    const note = form().getByTestId('proposal-note');
    expect(await note.textContent()).toBe('Proposed by a link — check it before saving.');
    expect(await form().getAttribute('aria-describedby')).toBe(await note.getAttribute('id'));
    expect(await form().getByLabel('Server address (URL)').inputValue()).toBe('https://ntfy.example.com');
    expect(await form().getByLabel('Kind').inputValue()).toBe('ntfy');
    const id = form().getByLabel('Name (id)');
    expect(await id.inputValue()).toBe('');
    // The first required field left empty has the focus: the name.
    await expect.poll(focusedId).toBe(await id.getAttribute('id'));
    expect(app.hub.connectionViews().map((c) => c.id)).toEqual(['plant']);
    await form().getByRole('button', { name: 'Cancel' }).click();
    await form().waitFor({ state: 'detached' });
    expect(app.hub.connectionViews().map((c) => c.id)).toEqual(['plant']);
  });

  it('fills the name as a valid id and MQTT for an mqtt:// address, focuses the first topic, and adds the connection only when saved', async () => {
    await page.getByTestId('tab-history').click();
    await page.getByTestId('panel-history').waitFor();
    app.hub.proposeConnection(broker.url, ' Plant floor (Line 2) ');
    await form().waitFor({ timeout: 10_000 });
    expect(await form().getByLabel('Name (id)').inputValue()).toBe('Plant-floor-Line-2');
    expect(await form().getByLabel('Kind').inputValue()).toBe('mqtt');
    expect(await form().getByLabel('Server address (URL)').inputValue()).toBe(broker.url);
    const topic = form().getByLabel('Topic 1', { exact: true });
    await expect.poll(focusedId).toBe(await topic.getAttribute('id'));
    // A second proposal while the form is open starts the form again, with it.
    app.hub.proposeConnection(broker.url, 'Line 3');
    await expect.poll(() => form().getByLabel('Name (id)').inputValue()).toBe('Line-3');
    expect(app.hub.connectionViews().map((c) => c.id)).toEqual(['plant']);
    await expect.poll(focusedId).toBe(await form().getByLabel('Topic 1', { exact: true }).getAttribute('id'));

    await page.screenshot({ path: join(SHOTS, 'connections-proposal-en.png'), fullPage: true });

    await page.keyboard.type('line3/#');
    await form().getByLabel('Channel of topic 1').fill('Line 3');
    await form().getByRole('button', { name: 'Save' }).click();
    const card = page.getByTestId('connection-card').and(page.locator('[data-id="Line-3"]'));
    await card.waitFor({ timeout: 10_000 });
    await expect.poll(() => card.getByTestId('connection-state').textContent(), { timeout: 10_000 }).toBe('connected');
    expect(app.hub.connectionViews().map((c) => c.id).sort()).toEqual(['Line-3', 'plant']);
    await page.getByTestId('connection-form').waitFor({ state: 'detached' });
  });
});
