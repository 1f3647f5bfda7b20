import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrayIconName } from '../../electron/main/tray-icons.ts';
import { startDesktopSession, type DesktopSession } from '../helpers/desktop-session.ts';
import { findElectronBinary } from '../helpers/electron-binary.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { requireProgram } from '../helpers/programs.ts';

/**
 * The real app in the real Electron, driven by Playwright: its window, its tray and a clicked
 * notification, with messages from real mosquitto brokers. Where this machine has no Electron binary
 * (npm could not download it), every test is skipped with the reason in its title.
 *
 * The tray and notifications have no DOM: the test watches them from the main process. Before it acts,
 * it wraps the methods of Electron's Tray and Notification prototypes (app.evaluate runs in the main
 * process) so each call is recorded, with the instance, in `globalThis.__pushdeskE2e`; then it can also
 * click the tray and the notification by emitting their events, as Electron does.
 */
const binary = findElectronBinary();
const skipReason = 'missing' in binary ? binary.missing : undefined;
const executablePath = 'path' in binary ? binary.path : '';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'out/main/index.js');
/** Reconnecting after a broker comes back follows the connection's backoff: give it time. */
const RECONNECT_MS = 45_000;

/** What the main process records (see installRecorders). */
interface Recorded {
  images: string[];
  tooltips: string[];
  titles: string[];
  menuItems: { id: string; label: string; enabled: boolean; checked: boolean }[][];
  notifications: { title: string; body: string }[];
}

describe.skipIf(skipReason !== undefined)(`the Electron app${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  let dir: string;
  let office: Mosquitto;
  let cloud: Mosquitto;
  let desktop: DesktopSession | undefined;
  let app: ElectronApplication;
  let page: Page;

  const publish = (broker: Mosquitto, topic: string, message: string): void => {
    execFileSync(requireProgram('mosquitto_pub', 'mosquitto-clients'), ['-p', String(broker.port), '-q', '1', '-t', topic, '-m', message]);
  };

  const recorded = (): Promise<Recorded> =>
    app.evaluate(() => {
      const { images, tooltips, titles, menuItems, notifications } = (globalThis as unknown as { __pushdeskE2e: Recorded }).__pushdeskE2e;
      return { images, tooltips, titles, menuItems, notifications };
    });

  /** The image a tray icon file makes, as the main process encodes it (to compare with what the tray was given). */
  const imageOf = (name: TrayIconName): Promise<string> =>
    app.evaluate(({ nativeImage }, path) => nativeImage.createFromPath(path).toDataURL(), join(ROOT, 'build', `${name}.png`));

  /** The icon the tray should show for a state: with the unread dot on Windows and Linux when the tooltip counts unread messages. */
  async function expectTrayIcon(state: 'connected' | 'degraded' | 'offline' | 'paused'): Promise<void> {
    await expect
      .poll(
        async () => {
          const { images, tooltips } = await recorded();
          const unread = /: (\d+) unread/.test(tooltips.at(-1) ?? '');
          const name: TrayIconName = unread && process.platform !== 'darwin' ? `tray-${state}-unread` : `tray-${state}`;
          return images.at(-1) === (await imageOf(name)) ? name : `not ${name}`;
        },
        { timeout: RECONNECT_MS, interval: 250 },
      )
      .toMatch(/^tray-/);
  }

  /** The main window's state, from the main process. */
  const mainWindow = (): Promise<{ visible: boolean; focused: boolean; destroyed: boolean } | undefined> =>
    app.evaluate(({ BrowserWindow }) => {
      const win = BrowserWindow.getAllWindows().find((w) => !w.isDestroyed() && w.webContents.getURL().endsWith('/renderer/index.html'));
      return win && { visible: win.isVisible(), focused: win.isFocused(), destroyed: win.isDestroyed() };
    });

  /** Clicks an item of the tray's context menu, as the last one the app set. */
  const clickMenuItem = (id: string): Promise<void> =>
    app.evaluate((_electron, itemId) => {
      const recorder = (globalThis as unknown as { __pushdeskE2e: { menus: Electron.Menu[] } }).__pushdeskE2e;
      const item = recorder.menus.at(-1)?.getMenuItemById(itemId);
      if (!item) throw new Error(`the tray menu has no item ${itemId}`);
      item.click();
    }, id);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-electron-'));
    [office, cloud, desktop] = await Promise.all([
      startMosquitto(join(dir, 'office')),
      startMosquitto(join(dir, 'cloud')),
      // Linux: a private D-Bus with a notification server and an X display; macOS and Windows use their own.
      process.platform === 'linux' ? startDesktopSession() : Promise.resolve(undefined),
    ]);
    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        connections: [
          { id: 'office', url: office.url, subscriptions: [{ topic: 'alerts/#', channel: 'Alerts' }] },
          { id: 'cloud', url: cloud.url, subscriptions: [{ topic: 'cloud/#', channel: 'Cloud' }] },
        ],
      }),
    );
    app = await electron.launch({
      executablePath,
      args: [MAIN, '--config', configPath, '--data-dir', join(dir, 'user-data')],
      env: { ...process.env, ...desktop?.env },
    });
    page = await app.firstWindow();
    await expect.poll(() => page.locator('.connection-connected').count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    // From here on, every tray and notification call is recorded (with the instance, to click it).
    await app.evaluate(({ Tray, Notification }) => {
      const recorder = {
        tray: undefined as Electron.Tray | undefined,
        images: [] as string[],
        tooltips: [] as string[],
        titles: [] as string[],
        menus: [] as Electron.Menu[],
        menuItems: [] as { id: string; label: string; enabled: boolean; checked: boolean }[][],
        notifications: [] as { title: string; body: string }[],
        notificationObjects: [] as Electron.Notification[],
      };
      (globalThis as unknown as { __pushdeskE2e: typeof recorder }).__pushdeskE2e = recorder;
      const wrap = <K extends 'setImage' | 'setToolTip' | 'setTitle' | 'setContextMenu'>(name: K, record: (...args: Parameters<Electron.Tray[K]>) => void): void => {
        const original = Tray.prototype[name] as (...args: unknown[]) => unknown;
        (Tray.prototype as unknown as Record<string, unknown>)[name] = function (this: Electron.Tray, ...args: Parameters<Electron.Tray[K]>) {
          recorder.tray = this;
          record(...args);
          return original.apply(this, args);
        };
      };
      wrap('setImage', (image) => recorder.images.push(typeof image === 'string' ? image : image.toDataURL()));
      wrap('setToolTip', (text) => recorder.tooltips.push(text));
      wrap('setTitle', (title) => recorder.titles.push(title));
      wrap('setContextMenu', (menu) => {
        if (!menu) return;
        recorder.menus.push(menu);
        recorder.menuItems.push(menu.items.map((item) => ({ id: item.id, label: item.label, enabled: item.enabled, checked: item.checked })));
      });
      const show = Notification.prototype.show as (this: Electron.Notification) => void;
      Notification.prototype.show = function (this: Electron.Notification) {
        recorder.notificationObjects.push(this);
        recorder.notifications.push({ title: this.title, body: this.body });
        show.call(this);
      };
    });
  }, 90_000);

  afterAll(async () => {
    await app?.close();
    await desktop?.stop();
    await Promise.all([office?.stop(), cloud?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens a locked-down window that shows messages from mosquitto, hides to the tray on close, and comes back from the tray', async () => {
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
    publish(office, 'alerts/x', 'Electron sees it');
    await page.getByTestId('message').filter({ hasText: 'Electron sees it' }).waitFor({ timeout: 10_000 });

    // Closing hides the window: the app stays in the tray and keeps receiving.
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().find((w) => w.webContents.getURL().endsWith('/renderer/index.html'))?.close());
    await expect.poll(mainWindow).toMatchObject({ visible: false, destroyed: false });
    publish(office, 'alerts/x', 'Received while hidden');
    await expect.poll(async () => (await recorded()).tooltips.at(-1), { timeout: 10_000 }).toMatch(/^Pushdesk: \d+ unread/);

    // A click on the tray icon brings the same window back, with what arrived meanwhile.
    await app.evaluate(() => (globalThis as unknown as { __pushdeskE2e: { tray: Electron.Tray } }).__pushdeskE2e.tray.emit('click'));
    await expect.poll(mainWindow).toMatchObject({ visible: true });
    await page.getByTestId('message').filter({ hasText: 'Received while hidden' }).waitFor({ timeout: 10_000 });
  });

  it('shows each connection state as its own tray icon, with the unread count, and pauses from the tray menu', async () => {
    publish(cloud, 'cloud/y', 'Counted in the tray');
    await expect.poll(async () => (await recorded()).tooltips.at(-1), { timeout: 10_000 }).toMatch(/^Pushdesk: \d+ unread\nAll 2 connections up$/);
    const unread = Number(/(\d+) unread/.exec((await recorded()).tooltips.at(-1) ?? '')?.[1]);
    expect(unread).toBeGreaterThan(0);
    if (process.platform === 'darwin') expect((await recorded()).titles.at(-1)).toBe(String(unread));
    await expectTrayIcon('connected');

    // One broker down: degraded, naming it; both down: offline.
    await cloud.stop();
    await expect.poll(async () => (await recorded()).tooltips.at(-1), { timeout: 20_000 }).toContain('1 of 2 connections down: cloud');
    await expectTrayIcon('degraded');
    // The menu lists each connection's state, and Diagnostics….
    const menu = (await recorded()).menuItems.at(-1) ?? [];
    expect(menu.find((item) => item.id === 'connection:cloud')).toMatchObject({ enabled: false, label: expect.stringMatching(/^cloud: (reconnecting|offline|connecting)/) });
    expect(menu.find((item) => item.id === 'diagnostics')?.label).toBe('Diagnostics…');
    await office.stop();
    await expect.poll(async () => (await recorded()).tooltips.at(-1), { timeout: 20_000 }).toContain('Offline: all 2 connections down');
    await expectTrayIcon('offline');

    // Both back: connected again.
    await Promise.all([office.start(), cloud.start()]);
    await expect.poll(async () => (await recorded()).tooltips.at(-1), { timeout: RECONNECT_MS }).toMatch(/All 2 connections up/);
    await expectTrayIcon('connected');

    // Paused from the tray menu: the paused icon, and the menu offers to resume.
    await clickMenuItem('pause');
    await expectTrayIcon('paused');
    await expect.poll(async () => (await recorded()).menuItems.at(-1)?.find((item) => item.id === 'resume')?.label).toMatch(/^Resume notifications \(paused until .+\)$/);
    await clickMenuItem('resume');
    await expectTrayIcon('connected');
  });

  it('brings the window up on the message whose notification is clicked', async () => {
    // Hidden first, so the click has to bring it back.
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().find((w) => w.webContents.getURL().endsWith('/renderer/index.html'))?.hide());
    await expect.poll(mainWindow).toMatchObject({ visible: false });
    publish(office, 'alerts/click', 'Click this notification');
    await expect.poll(async () => (await recorded()).notifications.some((n) => `${n.title}\n${n.body}`.includes('Click this notification')), { timeout: 10_000 }).toBe(true);
    // On Linux it really reached the notification server, over D-Bus.
    if (desktop) {
      const session = desktop;
      await expect.poll(() => session.notifyCalls().some((call) => `${call.summary}\n${call.body}`.includes('Click this notification')), { timeout: 10_000 }).toBe(true);
    }

    await app.evaluate(() => {
      const recorder = (globalThis as unknown as { __pushdeskE2e: { notificationObjects: Electron.Notification[] } }).__pushdeskE2e;
      const notification = recorder.notificationObjects.find((n) => `${n.title}\n${n.body}`.includes('Click this notification'));
      if (!notification) throw new Error('the notification was not shown');
      notification.emit('click', {});
    });
    await expect.poll(mainWindow).toMatchObject({ visible: true });
    const view = page.getByTestId('message-view');
    await view.filter({ hasText: 'Click this notification' }).waitFor({ timeout: 10_000 });
  });
});
