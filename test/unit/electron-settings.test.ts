import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../electron/core/logger.ts';
import {
  applyStartAtLogin,
  AUTOSTART_FILE,
  autostartEntry,
  HIDDEN_FLAG,
  resolveStartAtLogin,
  startedAtLogin,
  type LoginItemHost,
} from '../../electron/main/login-item.ts';
import { openSettings, SETTINGS_FORMAT, type WindowState } from '../../electron/main/settings.ts';
import { restorableBounds, trackWindowState, WINDOW_SAVE_DELAY_MS } from '../../electron/main/window-state.ts';

// electron-store would load the real 'electron' (not installed here); the stand-in is electron-store's
// own mapping onto conf, which keeps the file, the schema and the migrations real.
vi.mock('electron-store', () => import('./electron-store-stand-in.ts'));

const recordingLogger = () => {
  const lines: [string, string, unknown][] = [];
  const logger: Logger = {
    info: (m, f) => lines.push(['info', m, f]),
    warn: (m, f) => lines.push(['warn', m, f]),
    error: (m, f) => lines.push(['error', m, f]),
  };
  return { lines, logger };
};

describe('the settings file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = () => join(dir, 'settings.json');
  const onDisk = () => JSON.parse(readFileSync(file(), 'utf8')) as Record<string, unknown>;
  const writeRaw = (value: unknown) => writeFileSync(file(), typeof value === 'string' ? value : JSON.stringify(value));

  it('starts with the defaults, in settings.json (never the configuration\'s config.json), readable by its owner only', () => {
    const { store } = openSettings({ dir, logger: recordingLogger().logger });
    expect(store.get('window')).toBeUndefined();
    expect(store.get('startAtLogin')).toBeUndefined();
    store.set('startAtLogin', true);
    expect(store.path).toBe(file());
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
    expect(onDisk()).toEqual({ startAtLogin: true, __internal__: { migrations: { version: SETTINGS_FORMAT } } });
    if (process.platform !== 'win32') expect(statSync(file()).mode & 0o777).toBe(0o600);
  });

  it('keeps what was set across a restart', () => {
    const window: WindowState = { bounds: { x: -1200, y: 40, width: 1000, height: 700 }, maximized: true };
    const first = openSettings({ dir, logger: recordingLogger().logger }).store;
    first.set('window', window);
    first.set('startAtLogin', false);
    const again = openSettings({ dir, logger: recordingLogger().logger }).store;
    expect(again.get('window')).toEqual(window);
    expect(again.get('startAtLogin')).toBe(false);
  });

  it('refuses values outside the schema, naming the field', () => {
    const { store } = openSettings({ dir, logger: recordingLogger().logger });
    expect(() => store.set('window', { bounds: { x: 0, y: 0, width: 10, height: 700 }, maximized: false })).toThrow(/width/);
    expect(() => store.set('window', { bounds: { x: 0.5, y: 0, width: 800, height: 700 }, maximized: false })).toThrow(/x/);
    expect(() => store.set('startAtLogin', 'yes' as unknown as boolean)).toThrow(/startAtLogin/);
    expect(store.get('startAtLogin')).toBeUndefined();
  });

  it('migrates the first format: the window bounds alone become the window, not maximized; language and theme go', () => {
    writeRaw({ windowBounds: { x: 10, y: 20, width: 900, height: 600 }, theme: 'light', startAtLogin: true, __internal__: { migrations: { version: '1.0.0' } } });
    const { store } = openSettings({ dir, logger: recordingLogger().logger });
    expect(store.get('window')).toEqual({ bounds: { x: 10, y: 20, width: 900, height: 600 }, maximized: false });
    expect(store.get('startAtLogin')).toBe(true);
    expect(onDisk()).toEqual({
      window: { bounds: { x: 10, y: 20, width: 900, height: 600 }, maximized: false },
      startAtLogin: true,
      __internal__: { migrations: { version: SETTINGS_FORMAT } },
    });
  });

  it('migrates the second format: language and theme moved to the core\'s settings, the rest stays', () => {
    const window = { bounds: { x: 1, y: 2, width: 800, height: 600 }, maximized: true };
    writeRaw({ window, startAtLogin: false, language: 'zh-CN', theme: 'dark', __internal__: { migrations: { version: '2.0.0' } } });
    const { store, movedAside } = openSettings({ dir, logger: recordingLogger().logger });
    expect(movedAside).toBeUndefined();
    expect(store.get('window')).toEqual(window);
    expect(store.get('startAtLogin')).toBe(false);
    expect(onDisk()).toEqual({ window, startAtLogin: false, __internal__: { migrations: { version: '3.0.0' } } });
  });

  it('opens a second-format file whose language or theme the old schema would refuse, rather than moving it aside', () => {
    writeRaw({ language: 'fr', theme: 'purple', startAtLogin: true, __internal__: { migrations: { version: '2.0.0' } } });
    const { store, movedAside } = openSettings({ dir, logger: recordingLogger().logger });
    expect(movedAside).toBeUndefined();
    expect(store.get('startAtLogin')).toBe(true);
    expect(onDisk()).not.toHaveProperty('language');
    expect(onDisk()).not.toHaveProperty('theme');
  });

  it('takes a file without a recorded format as the first format, and drops window bounds nobody could have left', () => {
    writeRaw({ windowBounds: { x: 10, y: 20, width: 5, height: 'tall' }, language: 'en' });
    const { store } = openSettings({ dir, logger: recordingLogger().logger });
    expect(store.get('window')).toBeUndefined();
    expect(onDisk()).toEqual({ __internal__: { migrations: { version: SETTINGS_FORMAT } } });
  });

  it('leaves a file already in the current format alone', () => {
    const window = { bounds: { x: 1, y: 2, width: 800, height: 600 }, maximized: true };
    writeRaw({ window, windowBounds: { x: 9, y: 9, width: 999, height: 999 }, __internal__: { migrations: { version: SETTINGS_FORMAT } } });
    const { store } = openSettings({ dir, logger: recordingLogger().logger });
    expect(store.get('window')).toEqual(window);
  });

  it.each([
    ['not JSON', '{"theme": "dark"'],
    ['outside the schema', { startAtLogin: 'yes', __internal__: { migrations: { version: SETTINGS_FORMAT } } }],
  ])('moves a file that is %s aside and starts from the defaults, with a warning', (_what, content) => {
    writeRaw(content);
    const { lines, logger } = recordingLogger();
    const { store, movedAside } = openSettings({ dir, logger, now: () => Date.UTC(2026, 10, 22, 12, 0) });
    expect(store.get('startAtLogin')).toBeUndefined();
    expect(movedAside).toBe(join(dir, 'settings.invalid-2026-11-22T12-00-00-000Z.json'));
    expect(readFileSync(movedAside as string, 'utf8')).toBe(typeof content === 'string' ? content : JSON.stringify(content));
    expect(readdirSync(dir).sort()).toEqual(['settings.invalid-2026-11-22T12-00-00-000Z.json', 'settings.json']);
    expect(lines).toEqual([['warn', expect.stringMatching(/moved aside and the defaults apply/), expect.objectContaining({ movedTo: movedAside })]]);
  });
});

describe('restoring the window', () => {
  const laptop = { workArea: { x: 0, y: 0, width: 1440, height: 860 } };
  const leftMonitor = { workArea: { x: -1920, y: 0, width: 1920, height: 1040 } };
  const state = (x: number, y: number, width = 1000, height = 700): WindowState => ({ bounds: { x, y, width, height }, maximized: false });

  it('puts the window back where it was when its title bar is on a display', () => {
    expect(restorableBounds(state(100, 50), [laptop])).toEqual({ x: 100, y: 50, width: 1000, height: 700 });
    expect(restorableBounds(state(-1500, 100), [laptop, leftMonitor])).toEqual({ x: -1500, y: 100, width: 1000, height: 700 });
    // Mostly off the right edge, but the title bar's left part is still there to grab.
    expect(restorableBounds(state(1300, 100), [laptop])).toMatchObject({ x: 1300 });
  });

  it('uses the default place when the display it was on is gone or the title bar would be unreachable', () => {
    expect(restorableBounds(state(-1500, 100), [laptop])).toBeUndefined();
    expect(restorableBounds(state(1400, 100), [laptop])).toBeUndefined();
    expect(restorableBounds(state(100, -600), [laptop])).toBeUndefined();
    expect(restorableBounds(state(100, 850), [laptop])).toBeUndefined();
    expect(restorableBounds(undefined, [laptop])).toBeUndefined();
    expect(restorableBounds(state(100, 50), [])).toBeUndefined();
  });

  it('shrinks a window larger than the display it comes back on', () => {
    expect(restorableBounds(state(0, 0, 3000, 2000), [laptop])).toEqual({ x: 0, y: 0, width: 1440, height: 860 });
  });
});

describe('remembering the window', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const fakeWindow = () => {
    const handlers = new Map<string, (() => void)[]>();
    const win = {
      bounds: { x: 10, y: 10, width: 800, height: 600 },
      maximized: false,
      minimized: false,
      on: (event: string, handler: () => void) => (handlers.set(event, [...(handlers.get(event) ?? []), handler]), win),
      removeListener: (event: string, handler: () => void) => (handlers.set(event, (handlers.get(event) ?? []).filter((h) => h !== handler)), win),
      getNormalBounds: () => win.bounds,
      isMaximized: () => win.maximized,
      isMinimized: () => win.minimized,
      isDestroyed: () => false,
      emit: (event: string) => handlers.get(event)?.forEach((handler) => handler()),
    };
    return win;
  };

  it('saves once a drag settles, and at once when the window closes', () => {
    const win = fakeWindow();
    const saved: WindowState[] = [];
    trackWindowState(win as never, (state) => saved.push(state));
    for (let x = 10; x <= 200; x += 10) {
      win.bounds = { ...win.bounds, x };
      win.emit('move');
      vi.advanceTimersByTime(50);
    }
    expect(saved).toEqual([]);
    vi.advanceTimersByTime(WINDOW_SAVE_DELAY_MS);
    expect(saved).toEqual([{ bounds: { x: 200, y: 10, width: 800, height: 600 }, maximized: false }]);
    win.maximized = true;
    win.emit('close');
    expect(saved.at(-1)).toEqual({ bounds: { x: 200, y: 10, width: 800, height: 600 }, maximized: true });
  });

  it('ignores moves while minimized, and stops when asked', () => {
    const win = fakeWindow();
    const saved: WindowState[] = [];
    const stop = trackWindowState(win as never, (state) => saved.push(state));
    win.minimized = true;
    win.emit('move');
    vi.advanceTimersByTime(WINDOW_SAVE_DELAY_MS * 2);
    expect(saved).toEqual([]);
    stop();
    win.emit('close');
    expect(saved).toEqual([]);
  });
});

describe('start at login', () => {
  const noPolicy = { locked: [] as string[], startAtLogin: undefined };

  it('is off unless the person or the policy turns it on', () => {
    expect(resolveStartAtLogin(undefined, noPolicy)).toEqual({ enabled: false, locked: false, decidedBy: 'built-in default' });
    expect(resolveStartAtLogin(true, noPolicy)).toEqual({ enabled: true, locked: false, decidedBy: 'person' });
  });

  it('takes the policy\'s value as the default the person may change', () => {
    expect(resolveStartAtLogin(undefined, { locked: [], startAtLogin: true })).toEqual({ enabled: true, locked: false, decidedBy: 'policy default' });
    expect(resolveStartAtLogin(false, { locked: [], startAtLogin: true })).toEqual({ enabled: false, locked: false, decidedBy: 'person' });
  });

  it('follows a locked policy whatever the person chose (the built-in default when it gives no value)', () => {
    expect(resolveStartAtLogin(false, { locked: ['startAtLogin'], startAtLogin: true })).toEqual({ enabled: true, locked: true, decidedBy: 'policy lock' });
    expect(resolveStartAtLogin(true, { locked: ['heartbeat', 'startAtLogin'], startAtLogin: undefined })).toEqual({ enabled: false, locked: true, decidedBy: 'policy lock' });
  });

  describe('applied to the OS', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'pushdesk-autostart-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const host = (platform: NodeJS.Platform, isPackaged = true, env: NodeJS.ProcessEnv = {}) => {
      const calls: unknown[] = [];
      const { lines, logger } = recordingLogger();
      const value: LoginItemHost = {
        app: { isPackaged, setLoginItemSettings: (settings) => void calls.push(settings) },
        platform,
        execPath: '/opt/Pushdesk/pushdesk',
        env,
        logger,
        autostartDir: join(dir, 'autostart'),
      };
      return { value, calls, lines };
    };

    it('registers a login item on Windows and macOS, started in the tray', () => {
      for (const platform of ['win32', 'darwin'] as const) {
        const { value, calls } = host(platform);
        expect(applyStartAtLogin(true, value)).toBe('applied');
        expect(applyStartAtLogin(false, value)).toBe('applied');
        expect(calls).toEqual([
          { openAtLogin: true, args: [HIDDEN_FLAG] },
          { openAtLogin: false, args: [HIDDEN_FLAG] },
        ]);
      }
    });

    it('writes and removes an XDG autostart entry on Linux, starting the AppImage file when there is one', () => {
      const { value, calls } = host('linux', true, { APPIMAGE: '/home/me/Apps/Pushdesk 1.0.AppImage' });
      const entry = join(dir, 'autostart', AUTOSTART_FILE);
      expect(applyStartAtLogin(true, value)).toBe('applied');
      expect(readFileSync(entry, 'utf8')).toContain('Exec="/home/me/Apps/Pushdesk 1.0.AppImage" --hidden\n');
      expect(applyStartAtLogin(false, value)).toBe('applied');
      expect(existsSync(entry)).toBe(false);
      expect(calls).toEqual([]);
    });

    it('leaves the OS alone in a development run', () => {
      const { value, calls } = host('win32', false);
      expect(applyStartAtLogin(true, value)).toBe('skipped: development run');
      expect(calls).toEqual([]);
    });

    it('logs a failure instead of throwing', () => {
      const { value, lines } = host('win32');
      const failing = { ...value, app: { isPackaged: true, setLoginItemSettings: () => { throw new Error('access denied'); } } };
      expect(applyStartAtLogin(true, failing)).toBe('failed');
      expect(lines).toEqual([['warn', 'could not change start at login', { enabled: true, error: 'access denied' }]]);
    });
  });

  it('quotes the autostart command as the desktop entry specification asks', () => {
    expect(autostartEntry('/opt/a "b" $c `d` 100%\\e')).toContain('Exec="/opt/a \\\\"b\\\\" \\\\$c \\\\`d\\\\` 100%%\\\\\\\\e" --hidden');
    expect(autostartEntry('/opt/Pushdesk/pushdesk').split('\n')).toEqual([
      '[Desktop Entry]',
      'Type=Application',
      'Name=Pushdesk',
      'Exec="/opt/Pushdesk/pushdesk" --hidden',
      'X-GNOME-Autostart-enabled=true',
      '',
    ]);
  });

  it('knows a start at login by its flag, or on macOS by what the OS says', () => {
    expect(startedAtLogin(['/opt/Pushdesk/pushdesk', HIDDEN_FLAG], {}, 'linux')).toBe(true);
    expect(startedAtLogin(['/opt/Pushdesk/pushdesk'], {}, 'linux')).toBe(false);
    expect(startedAtLogin(['/Applications/Pushdesk.app'], { getLoginItemSettings: () => ({ wasOpenedAtLogin: true }) }, 'darwin')).toBe(true);
    expect(startedAtLogin(['/Applications/Pushdesk.app'], { getLoginItemSettings: () => ({ wasOpenedAtLogin: false }) }, 'darwin')).toBe(false);
  });
});
