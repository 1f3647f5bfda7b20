import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ALERT_ACK_CHANNEL, ALERT_SHOW_CHANNEL } from '../../electron/api/alert-channels.ts';
import type { Logger } from '../../electron/core/logger.ts';

/**
 * The critical alert windows against a stand-in for Electron's BrowserWindow that records the options
 * and calls, and lets the test play the person (close, minimize) and the page (acknowledge).
 */
type Handler = (...args: unknown[]) => void;

interface FakeWindow {
  options: Record<string, unknown>;
  calls: [string, ...unknown[]][];
  handlers: Map<string, Handler[]>;
  webContents: { sent: unknown[][]; handlers: Map<string, Handler[]> };
  /** The window's webContents object itself: the IPC sender of its page. */
  contents: unknown;
  destroyed: boolean;
  minimized: boolean;
  url: string | undefined;
}

const recorded = vi.hoisted(() => ({ windows: [] as FakeWindow[] }));

vi.mock('electron', () => {
  const on = (map: Map<string, Handler[]>) => (event: string, handler: Handler) => map.set(event, [...(map.get(event) ?? []), handler]);
  class BrowserWindow {
    readonly record: FakeWindow;
    readonly webContents: { send: (...args: unknown[]) => void; on: (event: string, handler: Handler) => void };
    constructor(options: Record<string, unknown>) {
      const record: FakeWindow = {
        options,
        calls: [],
        handlers: new Map(),
        webContents: { sent: [], handlers: new Map() },
        contents: undefined,
        destroyed: false,
        minimized: false,
        url: undefined,
      };
      this.record = record;
      this.webContents = { send: (...args) => record.webContents.sent.push(args), on: on(record.webContents.handlers) };
      record.contents = this.webContents;
      recorded.windows.push(record);
    }
    on(event: string, handler: Handler): void {
      on(this.record.handlers)(event, handler);
    }
    once(event: string, handler: Handler): void {
      on(this.record.handlers)(event, handler);
    }
    loadURL(url: string): Promise<void> {
      this.record.url = url;
      return Promise.resolve();
    }
    isDestroyed(): boolean {
      return this.record.destroyed;
    }
    isMinimized(): boolean {
      return this.record.minimized;
    }
    destroy(): void {
      this.record.destroyed = true;
      for (const handler of this.record.handlers.get('closed') ?? []) handler();
    }
    restore(): void {
      this.record.minimized = false;
      this.record.calls.push(['restore']);
    }
  }
  for (const method of ['setAlwaysOnTop', 'setVisibleOnAllWorkspaces', 'removeMenu', 'show', 'moveTop', 'focus', 'flashFrame']) {
    (BrowserWindow.prototype as unknown as Record<string, unknown>)[method] = function (this: BrowserWindow, ...args: unknown[]) {
      this.record.calls.push([method, ...args]);
    };
  }
  return {
    BrowserWindow,
    screen: {
      getCursorScreenPoint: () => ({ x: 100, y: 100 }),
      getDisplayNearestPoint: () => ({ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }),
    },
  };
});

const { ACK_GUARD_MS, ALERT_PAGE_URL, createAlertWindows } = await import('../../electron/main/alert-window.ts');

const silent: Logger = { info() {}, warn() {}, error() {} };
const PRELOAD = join(mkdtempSync(join(tmpdir(), 'pushdesk-alert-')), 'alert.cjs');
writeFileSync(PRELOAD, '');

function setup(preloadPath = PRELOAD, logger = silent) {
  let clock = 1_000_000;
  const ackHandlers: ((event: unknown) => void)[] = [];
  const alerts = createAlertWindows({
    ipcMain: { on: ((channel: string, handler: (event: unknown) => void) => (channel === ALERT_ACK_CHANNEL ? ackHandlers.push(handler) : undefined)) as never },
    preloadPath,
    logger,
    now: () => clock,
  });
  const acknowledged: number[] = [];
  alerts.onAcknowledge((seq) => acknowledged.push(seq));
  const fire = (win: FakeWindow, event: string, ...args: unknown[]) => {
    for (const handler of win.handlers.get(event) ?? []) handler(...args);
  };
  const fireContents = (win: FakeWindow, event: string, ...args: unknown[]) => {
    for (const handler of win.webContents.handlers.get(event) ?? []) handler(...args);
  };
  /** The page's Acknowledge, as it reaches ipcMain: the sender is the window's webContents. */
  const ack = (win: FakeWindow, frame: { url: string; parent: unknown } = { url: ALERT_PAGE_URL, parent: null }, sender?: unknown) => {
    for (const handler of ackHandlers) handler({ sender: sender ?? win.contents, senderFrame: frame });
  };
  return {
    alerts,
    acknowledged,
    fire,
    fireContents,
    ack,
    advance: (ms: number) => (clock += ms),
  };
}

const only = (): FakeWindow => {
  expect(recorded.windows).toHaveLength(1);
  return recorded.windows[0] as FakeWindow;
};

beforeEach(() => {
  recorded.windows.length = 0;
});

describe('an alert window', () => {
  it('is always on top at the screen-saver level, on every workspace and over full-screen apps', () => {
    const { alerts } = setup();
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4' });
    const win = only();
    expect(win.options).toMatchObject({ alwaysOnTop: true, skipTaskbar: false, focusable: true, closable: false, minimizable: false, show: false });
    expect(win.calls).toContainEqual(['setAlwaysOnTop', true, 'screen-saver']);
    expect(win.calls).toContainEqual(['setVisibleOnAllWorkspaces', true, { visibleOnFullScreen: true }]);
  });

  it('runs its page sandboxed, with context isolation, no Node and only the alert preload', () => {
    const { alerts } = setup();
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4' });
    expect(only().options.webPreferences).toMatchObject({
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      devTools: false,
    });
  });

  it('loads a static page and sends the text as data once it has loaded, so markup in a message stays text', () => {
    const { alerts, fireContents } = setup();
    const title = '<img src=x onerror=alert(1)>';
    alerts.showAlert({ seq: 9, title, body: '</p><script>evil()</script>' });
    const win = only();
    expect(win.url).toBe(ALERT_PAGE_URL);
    expect(decodeURIComponent(ALERT_PAGE_URL)).not.toContain('onerror');
    expect(win.webContents.sent).toEqual([]);
    fireContents(win, 'did-finish-load');
    expect(win.webContents.sent).toEqual([[ALERT_SHOW_CHANNEL, { title, body: '</p><script>evil()</script>', repeats: 0 }]]);
  });

  it('allows only its own inline style and script, by hash', () => {
    const page = decodeURIComponent(ALERT_PAGE_URL.replace(/^data:text\/html;charset=utf-8,/, ''));
    const csp = /Content-Security-Policy" content="([^"]+)"/.exec(page)?.[1] ?? '';
    expect(csp).toMatch(/^default-src 'none';/);
    const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
    expect(csp).toContain(`script-src ${sha(script)}`);
    expect(csp).toContain(`style-src ${sha(style)}`);
    expect(script).toContain('textContent');
    expect(script).not.toContain('innerHTML');
  });

  it('refuses to close until acknowledged, and comes back to the front when someone tries', () => {
    const { alerts, fire } = setup();
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4' });
    const win = only();
    const event = { preventDefault: vi.fn() };
    fire(win, 'close', event);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(win.destroyed).toBe(false);
    expect(win.calls).toContainEqual(['focus']);
    expect(alerts.open).toEqual([9]);
  });

  it('does not stay minimized', () => {
    const { alerts, fire } = setup();
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4' });
    const win = only();
    fire(win, 'minimize');
    expect(win.calls).toContainEqual(['restore']);
  });

  it('closes on Acknowledge from its own page and tells the listener which alert it was', () => {
    const { alerts, ack, advance, acknowledged } = setup();
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4' });
    advance(ACK_GUARD_MS);
    ack(only());
    expect(acknowledged).toEqual([9]);
    expect(only().destroyed).toBe(true);
    expect(alerts.open).toEqual([]);
  });

  it('ignores an Acknowledge that lands right after the window was raised (a click or key meant elsewhere)', () => {
    const { alerts, ack, advance, acknowledged } = setup();
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4' });
    advance(ACK_GUARD_MS - 1);
    ack(only());
    expect(acknowledged).toEqual([]);
    expect(only().destroyed).toBe(false);
  });

  it('refuses an acknowledgement from another window, from a frame inside the page, or from another page', () => {
    const { alerts, ack, advance, acknowledged } = setup();
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4' });
    advance(ACK_GUARD_MS);
    const win = only();
    ack(win, { url: ALERT_PAGE_URL, parent: null }, { id: 'the main window' });
    ack(win, { url: ALERT_PAGE_URL, parent: {} });
    ack(win, { url: 'https://evil.example/', parent: null });
    expect(acknowledged).toEqual([]);
    expect(win.destroyed).toBe(false);
  });

  it('raises the same window again, with its repeat count, when the alert is shown again', () => {
    const { alerts, fireContents } = setup();
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4' });
    const win = only();
    fireContents(win, 'did-finish-load');
    win.calls.length = 0;
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4, still' });
    expect(recorded.windows).toHaveLength(1);
    expect(win.webContents.sent.at(-1)).toEqual([ALERT_SHOW_CHANNEL, { title: 'Fan failure', body: 'rack 4, still', repeats: 1 }]);
    expect(win.calls.map(([name]) => name)).toEqual(expect.arrayContaining(['show', 'moveTop', 'focus']));
    expect(win.calls).toContainEqual(['flashFrame', true]);
  });

  it('closes without an acknowledgement when the alert is dismissed by the core', () => {
    const { alerts, acknowledged } = setup();
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4' });
    alerts.dismissAlert(9);
    expect(only().destroyed).toBe(true);
    expect(acknowledged).toEqual([]);
    alerts.dismissAlert(9);
  });

  it('closes when Windows ends the session, so it does not hold up a shutdown', () => {
    const { alerts, fire } = setup();
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4' });
    fire(only(), 'session-end');
    expect(only().destroyed).toBe(true);
  });

  it('opens no window, and says why, when its preload is missing (it could neither be acknowledged nor closed)', () => {
    const errors: string[] = [];
    const { alerts } = setup('/nowhere/alert.cjs', { info() {}, warn() {}, error: (message) => errors.push(message) });
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4' });
    expect(recorded.windows).toEqual([]);
    expect(errors).toEqual(['alert windows are off: their preload is missing']);
  });

  it('gives each alert its own window, offset so none hides another, and closes them all to let the app quit', () => {
    const { alerts, acknowledged } = setup();
    alerts.showAlert({ seq: 9, title: 'Fan failure', body: 'rack 4' });
    alerts.showAlert({ seq: 10, title: 'Power', body: 'UPS on battery' });
    const [first, second] = recorded.windows as [FakeWindow, FakeWindow];
    expect(second.options.x).toBe((first.options.x as number) + 28);
    expect(second.options.y).toBe((first.options.y as number) + 28);
    expect(alerts.open).toEqual([9, 10]);
    alerts.closeAll();
    expect([first.destroyed, second.destroyed]).toEqual([true, true]);
    expect(acknowledged).toEqual([]);
  });
});
