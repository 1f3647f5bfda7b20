import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * The Electron shell, run against a recording stand-in for the 'electron' module: this machine has no
 * Electron binary (the Playwright _electron test covers the real thing where one exists). It checks the
 * wiring a user relies on: a locked-down window, the tray menu, and IPC that only the app's own page
 * may call.
 */
const recorded = vi.hoisted(() => ({
  windows: [] as { options: Record<string, unknown>; webContents: { send: (...args: unknown[]) => void } }[],
  menus: [] as { label?: string; type?: string }[][],
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  listeners: new Map<string, (event: unknown, ...args: unknown[]) => void>(),
  tooltips: [] as string[],
  badges: [] as number[],
  appHandlers: new Map<string, ((...args: unknown[]) => void)[]>(),
  paths: new Map<string, string>(),
  errors: [] as string[],
  exitCode: undefined as number | undefined,
}));

vi.mock('electron', () => {
  class FakeWebContents {
    sent: unknown[][] = [];
    send(...args: unknown[]): void {
      this.sent.push(args);
    }
    setWindowOpenHandler(): void {}
    on(): void {}
  }
  class BrowserWindow {
    webContents = new FakeWebContents();
    constructor(options: Record<string, unknown>) {
      recorded.windows.push({ options, webContents: this.webContents });
    }
    on(): void {}
    once(): void {}
    loadFile(): Promise<void> {
      return Promise.resolve();
    }
    isDestroyed(): boolean {
      return false;
    }
    show(): void {}
    hide(): void {}
    focus(): void {}
  }
  const on = (event: string, handler: (...args: unknown[]) => void): void => {
    recorded.appHandlers.set(event, [...(recorded.appHandlers.get(event) ?? []), handler]);
  };
  return {
    app: {
      on,
      whenReady: () => Promise.resolve(),
      requestSingleInstanceLock: () => true,
      quit: () => {},
      exit: (code: number) => (recorded.exitCode = code),
      getPath: (name: string) => recorded.paths.get(name) ?? tmpdir(),
      setPath: (name: string, value: string) => recorded.paths.set(name, value),
      setAppUserModelId: () => {},
      setBadgeCount: (count: number) => (recorded.badges.push(count), true),
    },
    BrowserWindow,
    Tray: class {
      setToolTip(text: string): void {
        recorded.tooltips.push(text);
      }
      setImage(): void {}
      setTitle(): void {}
      setContextMenu(): void {}
      on(): void {}
    },
    Menu: { buildFromTemplate: (items: { label?: string; type?: string }[]) => (recorded.menus.push(items), items) },
    nativeImage: { createFromPath: () => ({}) },
    ipcMain: {
      handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) => recorded.handlers.set(channel, handler),
      removeHandler: (channel: string) => recorded.handlers.delete(channel),
      on: (channel: string, listener: (event: unknown, ...args: unknown[]) => void) => recorded.listeners.set(channel, listener),
    },
    screen: { getCursorScreenPoint: () => ({ x: 0, y: 0 }), getDisplayNearestPoint: () => ({ workArea: { x: 0, y: 0, width: 1280, height: 800 } }) },
    dialog: { showErrorBox: (_title: string, message: string) => recorded.errors.push(message) },
    shell: { openExternal: () => Promise.resolve() },
    powerMonitor: { on: () => {}, off: () => {}, isOnBatteryPower: () => false },
    net: { isOnline: () => true },
    session: { defaultSession: { resolveProxy: () => Promise.resolve('DIRECT') } },
    Notification: class {
      static isSupported(): boolean {
        return false;
      }
    },
  };
});

describe('the Electron shell (with a stand-in for electron)', () => {
  let dir: string;
  const argv = process.argv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-shell-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ deviceId: 'shell-test', connections: [{ id: 'c', url: 'mqtt://127.0.0.1:1', subscriptions: [{ topic: 'a', channel: 'A' }] }] }));
    process.argv = [...argv, '--config', config, '--data-dir', join(dir, 'user-data')];
    await import('../../electron/main/index.ts');
    await vi.waitFor(() => expect(recorded.windows.length).toBe(1));
  });

  afterAll(async () => {
    process.argv = argv;
    for (const handler of recorded.appHandlers.get('before-quit') ?? []) handler();
    for (const handler of recorded.appHandlers.get('will-quit') ?? []) handler({ preventDefault() {} });
    await new Promise((resolve) => setTimeout(resolve, 200));
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens one window with context isolation, the sandbox and no Node integration', () => {
    expect(recorded.errors).toEqual([]);
    const prefs = recorded.windows[0]?.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(String(prefs.preload)).toMatch(/preload[/\\]index\.cjs$/);
    expect(recorded.paths.get('userData')).toBe(join(dir, 'user-data'));
  });

  it('puts Open and Quit in the tray menu', () => {
    expect(recorded.menus[0]?.filter((item) => item.label).map((item) => item.label)).toEqual(['Open', 'Quit']);
  });

  it('answers calls from its own page and refuses others', async () => {
    const handler = recorded.handlers.get('pushdesk:call');
    if (!handler) throw new Error('no IPC handler registered');
    const page = recorded.windows[0]?.webContents;
    const { pathToFileURL } = await import('node:url');
    const ownUrl = pathToFileURL(join(import.meta.dirname, '../../electron/renderer/index.html')).toString();
    const fromStranger = await handler({ sender: {}, senderFrame: { url: ownUrl } }, 'getStatus', {});
    expect(fromStranger).toMatchObject({ ok: false, error: { message: expect.stringContaining('refused') } });
    const fromOtherPage = await handler({ sender: page, senderFrame: { url: 'https://evil.example/' } }, 'getStatus', {});
    expect(fromOtherPage).toMatchObject({ ok: false });
    const trusted = (await handler({ sender: page, senderFrame: { url: ownUrl } }, 'getStatus', {})) as { ok: boolean };
    expect(trusted.ok).toBe(true);
    const invalid = await handler({ sender: page, senderFrame: { url: ownUrl } }, 'listMessages', { limit: 'all' });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid-arguments' } });
  });

  it('listens for acknowledgements from alert windows only on their own channel', async () => {
    const { ALERT_ACK_CHANNEL } = await import('../../electron/api/alert-channels.ts');
    expect([...recorded.listeners.keys()]).toEqual([ALERT_ACK_CHANNEL]);
    // No alert window is open: an acknowledgement from the main window is refused without effect.
    recorded.listeners.get(ALERT_ACK_CHANNEL)?.({ sender: recorded.windows[0]?.webContents, senderFrame: { url: 'x', parent: null } });
    expect(recorded.windows).toHaveLength(1);
  });

  it('shows the unread count and the connection state in the tray tooltip', () => {
    expect(recorded.tooltips.at(-1)).toMatch(/^Pushdesk: no unread messages\nOffline: c is down$/);
    if (process.platform === 'linux' || process.platform === 'darwin') expect(recorded.badges).toEqual([0]);
  });
});
