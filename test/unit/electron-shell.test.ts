import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * The Electron shell, run against a recording stand-in for the 'electron' module: this machine has no
 * Electron binary (the Playwright _electron test covers the real thing where one exists). It checks the
 * wiring a user relies on: a locked-down window, the tray menu, IPC that only the app's own page may
 * call, pushdesk:// links, remembered settings and the log file.
 */
type MenuItem = { id?: string; label?: string; type?: string; enabled?: boolean; checked?: boolean; click?: (item: { checked: boolean }) => void };
type DialogOptions = { message?: string; detail?: string; buttons?: string[] };
const recorded = vi.hoisted(() => ({
  windows: [] as {
    options: Record<string, unknown>;
    webContents: { send: (...args: unknown[]) => void; sent: unknown[][] };
    handlers: Map<string, ((...args: unknown[]) => void)[]>;
    calls: string[];
  }[],
  menus: [] as MenuItem[][],
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  listeners: new Map<string, (event: unknown, ...args: unknown[]) => void>(),
  tooltips: [] as string[],
  badges: [] as number[],
  appHandlers: new Map<string, ((...args: unknown[]) => void)[]>(),
  paths: new Map<string, string>(),
  errors: [] as string[],
  exitCode: undefined as number | undefined,
  dialogs: [] as DialogOptions[],
  /** What the next message boxes answer (button index); 0 (Cancel) when empty. */
  answers: [] as number[],
  protocolClients: [] as string[],
  loginItems: [] as unknown[],
  /** The tray's images, as the files they were loaded from. */
  trayImages: [] as string[],
  /** What the next save dialogs answer (a path, or undefined: cancelled). */
  savePaths: [] as (string | undefined)[],
  shownInFolder: [] as string[],
  nativeTheme: { themeSource: 'system' as string },
}));

vi.mock('electron', () => {
  class FakeWebContents {
    sent: unknown[][] = [];
    send(...args: unknown[]): void {
      this.sent.push(args);
    }
    setWindowOpenHandler(): void {}
    on(): void {}
    once(): void {}
    isLoading(): boolean {
      return false;
    }
    isDestroyed(): boolean {
      return false;
    }
  }
  class BrowserWindow {
    webContents = new FakeWebContents();
    handlers = new Map<string, ((...args: unknown[]) => void)[]>();
    calls: string[] = [];
    readonly options: Record<string, unknown>;
    constructor(options: Record<string, unknown>) {
      this.options = options;
      recorded.windows.push({ options, webContents: this.webContents, handlers: this.handlers, calls: this.calls });
    }
    on(event: string, handler: (...args: unknown[]) => void): void {
      this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    }
    removeListener(event: string, handler: (...args: unknown[]) => void): void {
      this.handlers.set(event, (this.handlers.get(event) ?? []).filter((h) => h !== handler));
    }
    once(): void {}
    loadFile(): Promise<void> {
      return Promise.resolve();
    }
    isDestroyed(): boolean {
      return false;
    }
    isMinimized(): boolean {
      return false;
    }
    isMaximized(): boolean {
      return this.calls.includes('maximize');
    }
    getNormalBounds(): { x: number; y: number; width: number; height: number } {
      const o = this.options as { x?: number; y?: number; width: number; height: number };
      return { x: o.x ?? 0, y: o.y ?? 0, width: o.width, height: o.height };
    }
    maximize(): void {
      this.calls.push('maximize');
    }
    restore(): void {}
    show(): void {
      this.calls.push('show');
    }
    hide(): void {
      this.calls.push('hide');
    }
    focus(): void {}
  }
  const on = (event: string, handler: (...args: unknown[]) => void): void => {
    recorded.appHandlers.set(event, [...(recorded.appHandlers.get(event) ?? []), handler]);
  };
  const electron = {
    app: {
      on,
      whenReady: () => Promise.resolve(),
      requestSingleInstanceLock: () => true,
      quit: () => {},
      exit: (code: number) => (recorded.exitCode = code),
      getPath: (name: string) => recorded.paths.get(name) ?? tmpdir(),
      setPath: (name: string, value: string) => recorded.paths.set(name, value),
      setAppLogsPath: () => recorded.paths.set('logs', `${recorded.paths.get('userData') ?? tmpdir()}/logs`),
      getVersion: () => '0.0.0-test',
      isPackaged: false,
      setAsDefaultProtocolClient: (scheme: string) => (recorded.protocolClients.push(scheme), true),
      setLoginItemSettings: (settings: unknown) => recorded.loginItems.push(settings),
      getLoginItemSettings: () => ({ openAtLogin: false, wasOpenedAtLogin: false }),
      setAppUserModelId: () => {},
      setBadgeCount: (count: number) => (recorded.badges.push(count), true),
    },
    BrowserWindow,
    Tray: class {
      setToolTip(text: string): void {
        recorded.tooltips.push(text);
      }
      constructor(image: { path: string }) {
        recorded.trayImages.push(image.path);
      }
      setImage(image: { path: string }): void {
        recorded.trayImages.push(image.path);
      }
      setTitle(): void {}
      setContextMenu(): void {}
      on(): void {}
    },
    Menu: { buildFromTemplate: (items: MenuItem[]) => (recorded.menus.push(items), items) },
    nativeImage: { createFromPath: (path: string) => ({ path }) },
    nativeTheme: recorded.nativeTheme,
    ipcMain: {
      handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) => recorded.handlers.set(channel, handler),
      removeHandler: (channel: string) => recorded.handlers.delete(channel),
      on: (channel: string, listener: (event: unknown, ...args: unknown[]) => void) => recorded.listeners.set(channel, listener),
      removeAllListeners: (channel: string) => recorded.listeners.delete(channel),
    },
    screen: {
      getCursorScreenPoint: () => ({ x: 0, y: 0 }),
      getDisplayNearestPoint: () => ({ workArea: { x: 0, y: 0, width: 1280, height: 800 } }),
      getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1280, height: 800 } }],
    },
    dialog: {
      showErrorBox: (_title: string, message: string) => recorded.errors.push(message),
      // Called with or without a parent window.
      showMessageBox: (...args: unknown[]) => {
        recorded.dialogs.push(args.at(-1) as DialogOptions);
        return Promise.resolve({ response: recorded.answers.shift() ?? 0, checkboxChecked: false });
      },
      showSaveDialog: () => {
        const filePath = recorded.savePaths.shift();
        return Promise.resolve({ canceled: filePath === undefined, filePath });
      },
    },
    shell: { openExternal: () => Promise.resolve(), showItemInFolder: (path: string) => recorded.shownInFolder.push(path) },
    powerMonitor: { on: () => {}, off: () => {}, isOnBatteryPower: () => false },
    net: { isOnline: () => true },
    session: { defaultSession: { resolveProxy: () => Promise.resolve('DIRECT') } },
    Notification: class {
      static isSupported(): boolean {
        return false;
      }
    },
  };
  return electron;
});

// The real electron-store would load the real 'electron'; the stand-in keeps its file, schema and
// migrations (conf) and, like electron-store, registers its IPC listener, which the shell must remove.
vi.mock('electron-store', async () => {
  const module = await import('./electron-store-stand-in.ts');
  module.default.onConstruct = () => recorded.listeners.set('electron-store-get-data', () => {});
  return module;
});

// electron-updater loads the real 'electron' too. A development run (not packaged) never touches the
// updater, so a stand-in that records calls is enough, and lets the test check that nothing was asked.
const updaterCalls: string[] = [];
vi.mock('electron-updater', () => {
  const record = (name: string) => () => {
    updaterCalls.push(name);
  };
  const autoUpdater = {
    on: record('on'),
    setFeedURL: record('setFeedURL'),
    checkForUpdates: () => {
      updaterCalls.push('checkForUpdates');
      return Promise.resolve(null);
    },
    autoDownload: true,
    autoInstallOnAppQuit: true,
    allowDowngrade: false,
    channel: null,
  };
  return { default: { autoUpdater }, autoUpdater };
});

describe('the Electron shell (with a stand-in for electron)', () => {
  let dir: string;
  const argv = process.argv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-shell-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ deviceId: 'shell-test', connections: [{ id: 'c', url: 'mqtt://127.0.0.1:1', subscriptions: [{ topic: 'a', channel: 'A' }] }] }));
    // Settings left by the first settings format, with the window where the person put it (and a theme,
    // which the core's settings hold now).
    mkdirSync(join(dir, 'user-data'), { recursive: true });
    writeFileSync(
      join(dir, 'user-data', 'settings.json'),
      JSON.stringify({ windowBounds: { x: 40, y: 30, width: 1000, height: 640 }, theme: 'dark', __internal__: { migrations: { version: '1.0.0' } } }),
    );
    process.argv = [...argv, '--config', config, '--data-dir', join(dir, 'user-data'), 'pushdesk://message/7'];
    await import('../../electron/main/index.ts');
    await vi.waitFor(() => expect(recorded.windows.length).toBe(1));
    // A development run (not packaged) leaves the updater alone.
    expect(updaterCalls).toEqual([]);
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

  it('offers Open, a one-hour pause, quiet hours, start at login, each connection\'s state, Diagnostics… and Quit in the tray menu', () => {
    const menu = recorded.menus.at(-1) ?? [];
    expect(menu.filter((item) => item.label).map((item) => item.label)).toEqual([
      'Open',
      'Pause notifications for 1 hour',
      'Quiet hours',
      'Start at login',
      expect.stringMatching(/^c: /),
      'Diagnostics…',
      'Quit',
    ]);
    expect(menu.find((item) => item.id === 'connection:c')?.enabled).toBe(false);
    // Built-in default without a policy: off.
    expect(menu.find((item) => item.id === 'start-at-login')).toMatchObject({ checked: false, enabled: true });
  });

  it('pauses notifications for an hour from the tray, then offers to resume', async () => {
    recorded.menus.at(-1)?.find((item) => item.id === 'pause')?.click?.({ checked: false });
    await vi.waitFor(() => expect(recorded.menus.at(-1)?.find((item) => item.id === 'resume')?.label).toMatch(/^Resume notifications \(paused until .+\)$/));
    recorded.menus.at(-1)?.find((item) => item.id === 'resume')?.click?.({ checked: false });
    await vi.waitFor(() => expect(recorded.menus.at(-1)?.find((item) => item.id === 'pause')).toBeDefined());
  });

  it('remembers a start-at-login choice made in the tray (the OS is left alone in a development run)', async () => {
    recorded.menus.at(-1)?.find((item) => item.id === 'start-at-login')?.click?.({ checked: true });
    await vi.waitFor(() => expect(recorded.menus.at(-1)?.find((item) => item.id === 'start-at-login')?.checked).toBe(true));
    expect(JSON.parse(readFileSync(join(dir, 'user-data', 'settings.json'), 'utf8'))).toMatchObject({ startAtLogin: true });
    expect(recorded.loginItems).toEqual([]);
    expect(recorded.protocolClients).toEqual([]);
  });

  it('reopens the window where the person left it, migrating the first settings format', () => {
    expect(recorded.windows[0]?.options).toMatchObject({ x: 40, y: 30, width: 1000, height: 640 });
    const saved = JSON.parse(readFileSync(join(dir, 'user-data', 'settings.json'), 'utf8'));
    expect(saved).toMatchObject({ window: { bounds: { x: 40, y: 30, width: 1000, height: 640 }, maximized: false } });
    expect(saved).not.toHaveProperty('windowBounds');
    // Language and theme are the core's settings now: the shell's file keeps neither.
    expect(saved).not.toHaveProperty('theme');
    expect(saved).not.toHaveProperty('language');
    // The Pushdesk configuration is a different file: settings never go into config.json.
    expect(existsSync(join(dir, 'user-data', 'config.json'))).toBe(false);
  });

  it('hides the window to the tray when it is closed, and remembers where it was', () => {
    const win = recorded.windows[0];
    let prevented = false;
    for (const handler of win?.handlers.get('close') ?? []) handler({ preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    expect(win?.calls.at(-1)).toBe('hide');
    expect(recorded.windows).toHaveLength(1);
  });

  it('shows the message a pushdesk:// link it was started with names', async () => {
    const { IPC_EVENT_CHANNEL } = await import('../../electron/api/channels.ts');
    await vi.waitFor(() => expect(recorded.windows[0]?.webContents.sent).toContainEqual([IPC_EVENT_CHANNEL, 'openMessage', { seq: 7 }]));
  });

  it('takes a link from a second launch, and refuses a malformed one without asking anything', async () => {
    const { IPC_EVENT_CHANNEL } = await import('../../electron/api/channels.ts');
    const secondInstance = (args: string[]) => recorded.appHandlers.get('second-instance')?.forEach((handler) => handler({}, ['pushdesk', '--', ...args], '/'));
    secondInstance(['pushdesk://message/12']);
    await vi.waitFor(() => expect(recorded.windows[0]?.webContents.sent).toContainEqual([IPC_EVENT_CHANNEL, 'openMessage', { seq: 12 }]));
    secondInstance(['pushdesk://message/12abc']);
    secondInstance(['pushdesk://add-connection?url=mqtt://user:pw@evil.example']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(recorded.dialogs).toEqual([]);
    expect(recorded.windows).toHaveLength(1);
  });

  it('proposes a connection from a link to the window only after the person confirms', async () => {
    const openUrl = (url: string) => recorded.appHandlers.get('open-url')?.forEach((handler) => handler({ preventDefault() {} }, url));
    // Declined: nothing more happens.
    recorded.answers.push(0);
    openUrl('pushdesk://add-connection?url=mqtts%3A%2F%2Fbroker.example%3A8883&name=Office');
    await vi.waitFor(() => expect(recorded.dialogs).toHaveLength(1));
    expect(recorded.dialogs[0]).toMatchObject({ buttons: ['Cancel', 'Add connection'] });
    expect(recorded.dialogs[0]?.detail).toContain('Server: mqtts://broker.example:8883');
    expect(recorded.dialogs[0]?.detail).toContain('Name: Office');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(recorded.dialogs).toHaveLength(1);
    const { IPC_EVENT_CHANNEL } = await import('../../electron/api/channels.ts');
    const proposal = [IPC_EVENT_CHANNEL, 'connectionProposed', { url: 'mqtts://broker.example:8883', name: 'Office' }];
    expect(recorded.windows[0]?.webContents.sent).not.toContainEqual(proposal);
    // Confirmed: the window gets the proposal for its connection form (nothing is added yet).
    recorded.answers.push(1);
    openUrl('pushdesk://add-connection?url=mqtts%3A%2F%2Fbroker.example%3A8883&name=Office');
    await vi.waitFor(() => expect(recorded.windows[0]?.webContents.sent).toContainEqual(proposal));
    expect(recorded.dialogs).toHaveLength(2);
  });

  it('writes JSON lines to a log file in the logs folder', () => {
    const lines = readFileSync(join(dir, 'user-data', 'logs', 'pushdesk.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'Pushdesk starting' }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'pushdesk:// link refused' }));
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

  it("shows the offline state's own tray icon, from the icons electron-builder packs", () => {
    expect(recorded.trayImages.at(-1)).toMatch(/[/\\]build[/\\]tray-offline\.png$/);
    expect(existsSync(recorded.trayImages.at(-1) as string)).toBe(true);
  });

  /** Calls the contract as the app's own page does. */
  async function call(method: string, args: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
    const handler = recorded.handlers.get('pushdesk:call');
    if (!handler) throw new Error('no IPC handler registered');
    const { pathToFileURL } = await import('node:url');
    const ownUrl = pathToFileURL(join(import.meta.dirname, '../../electron/renderer/index.html')).toString();
    return (await handler({ sender: recorded.windows[0]?.webContents, senderFrame: { url: ownUrl } }, method, args)) as never;
  }

  it('offers start at login in the settings (the desktop can), as the tray set it', async () => {
    const result = await call('getSettings', {});
    expect(result).toMatchObject({ ok: true, value: { settings: { startAtLogin: true } } });
  });

  it("follows the core's theme setting for its native parts, and tells the window when it changes", async () => {
    const { IPC_EVENT_CHANNEL } = await import('../../electron/api/channels.ts');
    // The old settings file's theme was not carried over: the core's setting (the default) applies.
    expect(recorded.nativeTheme.themeSource).toBe('system');
    const result = await call('updateSettings', { patch: { theme: 'dark' } });
    expect(result).toMatchObject({ ok: true, value: { settings: { theme: 'dark' } } });
    await vi.waitFor(() => expect(recorded.nativeTheme.themeSource).toBe('dark'));
    expect(recorded.windows[0]?.webContents.sent).toContainEqual([IPC_EVENT_CHANNEL, 'settingsChanged', expect.objectContaining({ settings: expect.objectContaining({ theme: 'dark' }) })]);
    await call('updateSettings', { patch: { theme: 'system' } });
    await vi.waitFor(() => expect(recorded.nativeTheme.themeSource).toBe('system'));
  });

  it('saves the diagnostics bundle where the person chooses, from the window and from the tray', async () => {
    const fromWindow = join(dir, 'diagnostics-window.json');
    recorded.savePaths.push(fromWindow);
    expect(await call('exportDiagnostics', {})).toEqual({ ok: true, value: { href: null, path: fromWindow } });
    const bundle = JSON.parse(readFileSync(fromWindow, 'utf8'));
    expect(bundle).toMatchObject({ versions: { pushdesk: '0.0.0-test' }, hub: { deviceId: 'shell-test', connections: [expect.objectContaining({ id: 'c' })] } });
    // Cancelled: nothing written, nothing shown.
    recorded.savePaths.push(undefined);
    expect(await call('exportDiagnostics', {})).toEqual({ ok: true, value: { href: null, path: null } });

    const fromTray = join(dir, 'diagnostics-tray.json');
    recorded.savePaths.push(fromTray);
    recorded.menus.at(-1)?.find((item) => item.id === 'diagnostics')?.click?.({ checked: false });
    await vi.waitFor(() => expect(recorded.shownInFolder).toEqual([fromTray]));
    expect(JSON.parse(readFileSync(fromTray, 'utf8'))).toMatchObject({ hub: { deviceId: 'shell-test' } });
  });
});
