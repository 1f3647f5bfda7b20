import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, nativeTheme, Notification, screen, session, shell, Tray, type NativeImage } from 'electron';
import electronUpdater from 'electron-updater';
import { SafeStorageSecretStore } from './secret-store.ts';
import { hasBuiltInFeed, isManagedInstall, startUpdates, type RunningUpdates } from './updates.ts';
import { isOpenableLink } from '../api/links.ts';
import type { UiSettings } from '../api/contract.ts';
import { ApiService, type ExportRequest } from '../core/api-service.ts';
import { defaultPolicyPath, loadConfigWithPolicy } from '../core/config/policy.ts';
import { loadManagedPolicy, systemPolicySources } from '../core/config/policy-sources.ts';
import type { DiagnosticsBundle } from '../core/diagnostics.ts';
import { Hub } from '../core/hub.ts';
import { proxyFromPac } from '../core/sources/proxy.ts';
import { createAlertWindows, type AlertWindows } from './alert-window.ts';
import { deepLinkFromArgv, DEEP_LINK_SCHEME, handleDeepLink, type DeepLinkActions } from './deep-link.ts';
import { APP_USER_MODEL_ID, createElectronNotifier } from './electron-notifier.ts';
import { ElectronSignals } from './electron-signals.ts';
import { bindIpc } from './ipc-binding.ts';
import { diagnosticsToChosenFile } from './diagnostics-file.ts';
import { exportToChosenFile } from './export-file.ts';
import { createAppLogger } from './logging.ts';
import { applyStartAtLogin, resolveStartAtLogin, startedAtLogin, type StartAtLogin } from './login-item.ts';
import { openSettings, type OpenedSettings, type WindowState } from './settings.ts';
import { bindTray } from './tray-binding.ts';
import { trayIconFile, type TrayIconName } from './tray-icons.ts';
import { bindTrayMenu } from './tray-menu.ts';
import { restorableBounds, trackWindowState } from './window-state.ts';

/**
 * The desktop shell: tray, window and IPC around the core. Behaviour lives in electron/core.
 *
 * The configuration comes from `--config <file>` or `<userData>/config.json`; messages are stored in
 * the user-data folder, which `--data-dir <dir>` moves (tests give each run its own). The shell's own
 * settings (window, start at login) are in `<userData>/settings.json`; the person's settings both
 * shells share (language, theme, quiet hours…) are the core's, and the shell follows them (the theme
 * of native parts); logs in Electron's logs folder.
 */
const rendererIndex = join(import.meta.dirname, '../renderer/index.html');
const rendererUrl = pathToFileURL(rendererIndex).toString();
/** The icons the main process loads at run time (build/tray*.png, packed into the app by electron-builder.yml). */
const ICONS_DIR = join(import.meta.dirname, '../../build');
let window: BrowserWindow | undefined;
let tray: Tray | undefined;
let hub: Hub | undefined;
/** The configuration read at start, for the diagnostics bundle. */
let alerts: AlertWindows | undefined;
let stopTray: (() => void) | undefined;
let trayMenu: { refresh: () => void; stop: () => void } | undefined;
let settings: OpenedSettings | undefined;
let stopWindowState: (() => void) | undefined;
let quitting = false;
let updates: RunningUpdates | undefined;
/** Set once the app is ready and the hub exists: before that, windows cannot open and links wait. */
let ready = false;

/** The value after `--name` on the command line, if any. */
function flag(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

const dataDirFlag = flag('--data-dir');
// Electron wants an absolute path here; relative ones mean the folder Pushdesk was started from.
if (dataDirFlag) app.setPath('userData', resolve(dataDirFlag));
// Windows shows toasts only for the AppUserModelID of the installer's Start menu shortcut.
if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);
// The platform's logs folder (~/Library/Logs/Pushdesk; <userData>/logs elsewhere, so after --data-dir).
app.setAppLogsPath();
const { logger, file: logFile } = createAppLogger({ logsDir: app.getPath('logs') });

function configPath(): string {
  const given = flag('--config');
  return given === undefined ? join(app.getPath('userData'), 'config.json') : resolve(given);
}

/**
 * The system proxy for each WebSocket or HTTP(S) server, as Chromium resolves it (PAC, WPAD, OS
 * settings), per server origin. Read at start: a change of proxy settings takes effect at the next start.
 */
async function systemProxies(urls: readonly string[]): Promise<(url: string) => string | undefined> {
  const origin = (url: string): string => {
    const parsed = new URL(url.replace(/^ws/i, 'http'));
    return `${parsed.protocol}//${parsed.host}`;
  };
  const found = new Map<string, string | undefined>();
  for (const url of urls) {
    if (/^(wss?|https?):/i.test(url)) found.set(origin(url), proxyFromPac(await session.defaultSession.resolveProxy(origin(url))));
  }
  return (url) => (/^(wss?|https?):/i.test(url) ? found.get(origin(url)) : undefined);
}

/** Where the window was left, if it still fits on today's displays. */
function savedWindow(): { state: WindowState; bounds: NonNullable<ReturnType<typeof restorableBounds>> } | undefined {
  const state = settings?.store.get('window');
  const bounds = restorableBounds(state, screen.getAllDisplays());
  return state && bounds ? { state, bounds } : undefined;
}

function saveWindowState(state: WindowState): void {
  try {
    settings?.store.set('window', state);
  } catch (error) {
    logger.warn('could not remember the window position', { error: (error as Error).message });
  }
}

function showWindow(): void {
  if (!ready) return;
  if (!window || window.isDestroyed()) {
    const saved = savedWindow();
    window = new BrowserWindow({
      width: saved?.bounds.width ?? 900,
      height: saved?.bounds.height ?? 700,
      ...(saved ? { x: saved.bounds.x, y: saved.bounds.y } : {}),
      minWidth: 480,
      minHeight: 360,
      show: false,
      title: 'Pushdesk',
      webPreferences: {
        preload: join(import.meta.dirname, '../preload/index.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
      },
    });
    // Closing the window keeps Pushdesk in the tray; Quit (tray menu, or the OS at logout) ends it.
    window.on('close', (event) => {
      if (!quitting) {
        event.preventDefault();
        window?.hide();
      }
    });
    stopWindowState?.();
    stopWindowState = trackWindowState(window, saveWindowState);
    void window.loadFile(rendererIndex);
    // maximize() also shows the window: only once there is a page to show.
    const maximized = saved?.state.maximized === true;
    window.once('ready-to-show', () => {
      if (maximized) window?.maximize();
      window?.show();
    });
  } else {
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }
}

/** Runs `action` once the window's page has loaded (at once if it has): the UI listens only from then. */
function whenPageLoaded(action: () => void): void {
  const contents = window?.webContents;
  if (contents && !contents.isDestroyed() && contents.isLoading()) contents.once('did-finish-load', action);
  else action();
}

/** pushdesk:// links (docs/logs-and-settings.md): what each kind does in this shell. */
const deepLinkActions: DeepLinkActions = {
  logger,
  openMessage: (seq) => {
    showWindow();
    // The hub's openMessage event reaches the UI through the contract, as a clicked notification does.
    whenPageLoaded(() => hub?.emit('openMessage', seq));
  },
  openChannel: () => {
    // The contract has no event to select a channel yet: the window comes up, on the channel it shows.
    showWindow();
  },
  confirmAddConnection: async (url, name) => {
    const options = {
      type: 'question' as const,
      title: 'Pushdesk',
      message: 'A link asks Pushdesk to add a connection',
      detail: `Server: ${url}\nName: ${name ?? '(none given)'}\n\nAdd it only if you expected this link from someone you trust: Pushdesk would show what this server sends.`,
      buttons: ['Cancel', 'Add connection'],
      defaultId: 0,
      cancelId: 0,
      noLink: true,
    };
    const { response } = window && !window.isDestroyed() ? await dialog.showMessageBox(window, options) : await dialog.showMessageBox(options);
    return response === 1;
  },
  addConnection: (url, name) => {
    // Confirmed: the window opens its connection form with the address filled in; the person adds
    // topics and credentials and saves it (nothing is connected before that).
    showWindow();
    hub?.proposeConnection(url, name);
  },
};

/** Links that arrived before the hub was ready (at most a few: a flood of links is not queued). */
const waitingLinks: string[] = [];

function openDeepLink(raw: string): void {
  if (!ready) {
    if (waitingLinks.length < 5) waitingLinks.push(raw);
    return;
  }
  handleDeepLink(raw, deepLinkActions).catch((error: unknown) => logger.warn('a pushdesk:// link failed', { error: (error as Error).message }));
}

/**
 * Makes Pushdesk the handler of pushdesk:// links on Windows (for this user). macOS and Linux learn it
 * from the installed app (electron-builder.yml `protocols`: Info.plist, the desktop entry's MIME type).
 * A development run leaves the OS alone: it would register the bare Electron binary.
 */
function registerDeepLinks(): void {
  if (process.platform !== 'win32') return;
  if (!app.isPackaged) {
    logger.info('pushdesk:// links not registered: development run');
    return;
  }
  // Windows puts the link on the command line: the "--" before it ends Chromium's switches, so a
  // crafted link cannot pass any.
  if (!app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, process.execPath, ['--'])) logger.warn('could not register as the handler of pushdesk:// links');
}

// One Pushdesk per user: a second launch brings the first one's window up, hands over a link it was
// started with (Windows, Linux) and quits.
const primary = app.requestSingleInstanceLock();
if (!primary) app.quit();
app.on('second-instance', (_event, argv) => {
  showWindow();
  const link = deepLinkFromArgv(argv);
  if (link !== undefined) openDeepLink(link);
});
// macOS hands links over as an event, also before the app is ready (a link that started it).
app.on('open-url', (event, url) => {
  event.preventDefault();
  openDeepLink(url);
});
// macOS: a click on the Dock icon.
app.on('activate', () => showWindow());

app.on('web-contents-created', (_event, contents) => {
  // No window ever opens inside the app; an http(s) link a message carries opens in the browser.
  contents.setWindowOpenHandler(({ url }) => {
    if (isOpenableLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event) => event.preventDefault());
});

app.on('before-quit', () => {
  quitting = true;
  // Alert windows refuse to close until acknowledged, which would cancel the quit.
  alerts?.closeAll();
});

app.on('window-all-closed', () => {
  // Stay in the tray.
});

void app.whenReady().then(async () => {
  // A second instance only hands its arguments over (above) and quits.
  if (!primary) return;
  logger.info('Pushdesk starting', { logFile: logFile ?? '(stderr only)' });
  try {
    settings = openSettings({ dir: app.getPath('userData'), logger });
  } catch (error) {
    logger.warn('settings unavailable: defaults apply and nothing is remembered', { error: (error as Error).message });
  }
  // electron-store answers a synchronous IPC query meant for renderer-side stores; Pushdesk's pages
  // never use one, and nothing but the contract binding listens on IPC.
  ipcMain.removeAllListeners('electron-store-get-data');
  try {
    // The managed policy (docs/policy.md): Group Policy's registry key on Windows or the MDM's managed
    // preferences on macOS when set, else policy.json in the platform's system location. An invalid one
    // is reported by the hub at start (log, notification, status) and the configuration is used alone.
    const managed = loadManagedPolicy(process.platform, systemPolicySources());
    const { config, policy } = loadConfigWithPolicy(configPath(), defaultPolicyPath(process.platform), false, managed);

    alerts = createAlertWindows({ ipcMain, preloadPath: join(import.meta.dirname, '../preload/alert.cjs'), logger });
    hub = new Hub({
      config,
      dataDir: app.getPath('userData'),
      notifier: createElectronNotifier({ logger, onClick: () => showWindow(), alerts, iconPath: join(ICONS_DIR, 'tray.png') }),
      logger,
      proxyFor: await systemProxies(config.connections.map((c) => c.url)),
      signals: new ElectronSignals(),
      policy,
      // `passwordSecret` references and the secrets typed into the connection form, encrypted with
      // safeStorage: the OS keychain (only available once the app is ready).
      secrets: new SafeStorageSecretStore(app.getPath('userData')),
    });
  } catch (error) {
    dialog.showErrorBox('Pushdesk cannot start', (error as Error).message);
    app.exit(2);
    return;
  }
  const running = hub;
  // Start at login: the person's choice, else the managed policy's default; a policy lock wins.
  const startAtLogin = (): StartAtLogin => resolveStartAtLogin(settings?.store.get('startAtLogin'), running.policy);
  const loginHost = { app, platform: process.platform, execPath: process.execPath, env: process.env, logger };
  applyStartAtLogin(startAtLogin().enabled, loginHost);
  const api = new ApiService(running, {
    exporter: (request) => exportToFile(running, request),
    diagnosticsExporter: () => diagnosticsToFile(running),
    startAtLogin: {
      get: () => startAtLogin().enabled,
      set: (enabled) => {
        if (startAtLogin().locked) throw new Error('start at login is set by your organization');
        if (!settings) throw new Error('the settings file is not available, so the choice cannot be remembered');
        settings.store.set('startAtLogin', enabled);
        applyStartAtLogin(startAtLogin().enabled, loginHost);
        trayMenu?.refresh();
      },
    },
  });
  bindIpc({
    ipcMain,
    hub: running,
    service: api,
    window: () => window,
    isTrustedFrame: (frame) => frame !== null && frame.url === rendererUrl,
  });
  ready = true;
  // The theme of the native parts (menus, dialogs, the window frame, prefers-color-scheme) follows the
  // person's setting, which lives in the core: at start and whenever it changes, from any window.
  try {
    followTheme(running.settings().settings.theme);
  } catch (error) {
    logger.warn('could not read the theme setting; the system theme applies', { error: (error as Error).message });
  }
  running.on('settingsChanged', (view) => followTheme(view.settings.theme));
  tray = new Tray(trayImage('tray-offline'));
  tray.setToolTip('Pushdesk');
  trayMenu = bindTrayMenu({
    tray,
    build: (template) => Menu.buildFromTemplate(template),
    hub: running,
    startAtLogin,
    actions: {
      open: () => showWindow(),
      pause: (durationMs) => running.pauseNotifications(durationMs),
      resume: () => running.resumeNotifications(),
      setQuietHours: (enabled) => {
        running.setQuietHours(enabled).then(
          () => trayMenu?.refresh(),
          (error: unknown) => logger.warn('could not switch quiet hours', { error: (error as Error).message }),
        );
      },
      setStartAtLogin: (enabled) => {
        if (startAtLogin().locked) return;
        // Through the contract, as the Settings screen does: one path, and the window hears of it.
        void api.call('updateSettings', { patch: { startAtLogin: enabled } }).then((outcome) => {
          if (!outcome.ok) logger.warn('could not change start at login', { error: outcome.error.message });
          trayMenu?.refresh();
        });
      },
      diagnostics: () => void saveDiagnosticsFromTray(running),
      quit: () => app.quit(),
    },
    onError: (error) => logger.warn('could not update the tray menu', { error: error.message }),
  });
  tray.on('click', () => showWindow());
  // A notification's view action: the core checked the link; the shell opens it in the browser.
  running.on('openLink', (url) => {
    if (isOpenableLink(url)) void shell.openExternal(url);
  });
  // A clicked notification: the window comes up (the UI, told by the openMessage event, shows the message).
  running.on('openMessage', () => showWindow());
  stopTray = bindTray({
    tray,
    hub: running,
    image: trayImage,
    ...(process.platform === 'darwin' || process.platform === 'linux' ? { setBadgeCount: (count: number) => app.setBadgeCount(count) } : {}),
    pausedUntilMs: () => running.notificationsPausedUntilMs,
    muted: () => running.mutedChannels(),
    onError: (error) => logger.warn('could not update the tray', { error: error.message }),
  });
  hub.start();
  registerDeepLinks();
  // Updates as the managed policy allows: silent on managed machines, never a downgrade.
  updates = startUpdates({
    autoUpdater: electronUpdater.autoUpdater,
    policy: running.policy,
    managed: isManagedInstall(running.policy),
    logger,
    packaged: app.isPackaged,
    builtInFeed: app.isPackaged && hasBuiltInFeed(process.resourcesPath),
    notifyDownloaded: (version) => {
      if (Notification.isSupported()) new Notification({ title: 'Pushdesk update ready', body: `Pushdesk ${version} installs when you quit Pushdesk.` }).show();
    },
  });
  // Started by the OS at login: stay in the tray until the person opens the window.
  if (!startedAtLogin(process.argv, app, process.platform)) showWindow();
  // A link Pushdesk was started with (Windows, Linux), then any that arrived while it was starting (macOS).
  const startLink = deepLinkFromArgv(process.argv);
  for (const link of [...(startLink === undefined ? [] : [startLink]), ...waitingLinks.splice(0)]) openDeepLink(link);
});

const trayImages = new Map<string, NativeImage>();

/** The tray image by name (with its @2x version), or the plain tray icon should that file be missing. */
function trayImage(name: TrayIconName): NativeImage {
  const specific = trayIconFile(ICONS_DIR, name);
  const path = existsSync(specific) ? specific : join(ICONS_DIR, 'tray.png');
  let image = trayImages.get(path);
  if (!image) trayImages.set(path, (image = nativeImage.createFromPath(path)));
  return image;
}

/** Native menus, dialogs and the window's prefers-color-scheme follow the person's theme setting. */
function followTheme(theme: UiSettings['theme']): void {
  if (nativeTheme.themeSource !== theme) nativeTheme.themeSource = theme;
}

/**
 * The diagnostics bundle as `npm run hub -- diagnostics` builds it from the data folder, with the
 * running hub's state taken now (not its last snapshot file) and Electron's versions.
 */
function desktopDiagnostics(running: Hub): DiagnosticsBundle {
  // The hub's own bundle: its configuration as it runs now (connections added in the window included).
  const bundle = running.diagnostics(app.getVersion());
  return {
    ...bundle,
    versions: { ...bundle.versions, electron: process.versions.electron ?? 'unknown', chrome: process.versions.chrome ?? 'unknown' },
  };
}

/** The desktop diagnostics export: the person picks the file in a save dialog, then the bundle goes into it. */
function diagnosticsToFile(running: Hub): ReturnType<typeof diagnosticsToChosenFile> {
  return diagnosticsToChosenFile({
    choose: async (defaultName) => {
      const options = { title: 'Save diagnostics for support', defaultPath: join(app.getPath('documents'), defaultName), filters: [{ name: 'JSON', extensions: ['json'] }] };
      const result = window && !window.isDestroyed() ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
      return result.canceled ? undefined : result.filePath;
    },
    build: () => desktopDiagnostics(running),
  });
}

/** The tray's Diagnostics…: saves the bundle, then shows the file in the file manager (or says why not). */
async function saveDiagnosticsFromTray(running: Hub): Promise<void> {
  try {
    const { path } = await diagnosticsToFile(running);
    if (path !== null) {
      logger.info('diagnostics saved', { path });
      shell.showItemInFolder(path);
    }
  } catch (error) {
    logger.warn('could not save the diagnostics', { error: (error as Error).message });
    dialog.showErrorBox('Pushdesk could not save the diagnostics', (error as Error).message);
  }
}

/** The desktop export: the person picks the file in a save dialog, then history streams into it. */
function exportToFile(running: Hub, request: ExportRequest): ReturnType<typeof exportToChosenFile> {
  return exportToChosenFile(request, {
    choose: async (defaultName) => {
      const options = { defaultPath: join(app.getPath('documents'), defaultName), filters: [{ name: request.format.toUpperCase(), extensions: [request.format] }] };
      const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
      return result.canceled ? undefined : result.filePath;
    },
    messages: (filter) => running.exportMessages(filter),
  });
}

app.on('will-quit', (event) => {
  updates?.stop(); // stops the checks; a downloaded update still installs on quit
  if (!hub) return;
  const running = hub;
  hub = undefined;
  stopTray?.();
  trayMenu?.stop();
  stopWindowState?.();
  event.preventDefault();
  void running.stop().finally(() => app.quit());
});
