import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, session, shell, Tray, type NativeImage } from 'electron';
import { isOpenableLink } from '../api/links.ts';
import { ApiService, type ExportRequest } from '../core/api-service.ts';
import { defaultPolicyPath, loadConfigWithPolicy } from '../core/config/policy.ts';
import { Hub } from '../core/hub.ts';
import { proxyFromPac } from '../core/sources/proxy.ts';
import { createJsonLogger } from '../core/logger.ts';
import { createAlertWindows, type AlertWindows } from './alert-window.ts';
import { APP_USER_MODEL_ID, createElectronNotifier } from './electron-notifier.ts';
import { ElectronSignals } from './electron-signals.ts';
import { bindIpc } from './ipc-binding.ts';
import { exportToChosenFile } from './export-file.ts';
import { bindTray } from './tray-binding.ts';
import type { TrayView } from './tray-state.ts';

/**
 * The desktop shell: tray, window and IPC around the core. Behaviour lives in electron/core.
 *
 * The configuration comes from `--config <file>` or `<userData>/config.json`; messages are stored in
 * the user-data folder, which `--data-dir <dir>` moves (tests give each run its own).
 */
const logger = createJsonLogger();
const rendererIndex = join(import.meta.dirname, '../renderer/index.html');
const rendererUrl = pathToFileURL(rendererIndex).toString();
let window: BrowserWindow | undefined;
let tray: Tray | undefined;
let hub: Hub | undefined;
let alerts: AlertWindows | undefined;
let stopTray: (() => void) | undefined;
let quitting = false;

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

function showWindow(): void {
  if (!window || window.isDestroyed()) {
    window = new BrowserWindow({
      width: 900,
      height: 700,
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
    window.on('close', (event) => {
      if (!quitting) {
        event.preventDefault();
        window?.hide();
      }
    });
    void window.loadFile(rendererIndex);
    window.once('ready-to-show', () => window?.show());
  } else {
    window.show();
    window.focus();
  }
}

// One Pushdesk per user: a second launch brings the first one's window up and quits.
if (!app.requestSingleInstanceLock()) app.quit();
app.on('second-instance', () => showWindow());

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
  try {
    // The managed policy from the platform's system location (docs/deployment.md); an invalid one is
    // reported by the hub at start (log, notification, status) and the configuration is used alone.
    const { config, policy } = loadConfigWithPolicy(configPath(), defaultPolicyPath(process.platform), false);
    alerts = createAlertWindows({ ipcMain, preloadPath: join(import.meta.dirname, '../preload/alert.cjs'), logger });
    hub = new Hub({
      config,
      dataDir: app.getPath('userData'),
      notifier: createElectronNotifier({ logger, onClick: () => showWindow(), alerts, iconPath: join(import.meta.dirname, '../../build/tray.png') }),
      logger,
      proxyFor: await systemProxies(config.connections.map((c) => c.url)),
      signals: new ElectronSignals(),
      policy,
    });
  } catch (error) {
    dialog.showErrorBox('Pushdesk cannot start', (error as Error).message);
    app.exit(2);
    return;
  }
  bindIpc({
    ipcMain,
    hub,
    service: new ApiService(hub, { exporter: (request) => exportToFile(hub as Hub, request) }),
    window: () => window,
    isTrustedFrame: (frame) => frame !== null && frame.url === rendererUrl,
  });
  tray = new Tray(trayImage('tray-connected'));
  tray.setToolTip('Pushdesk');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Open', click: () => showWindow() },
      { type: 'separator' },
      { label: 'Quit', click: () => app.quit() },
    ]),
  );
  tray.on('click', () => showWindow());
  const running = hub;
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
  showWindow();
});

const trayImages = new Map<string, NativeImage>();

/** The icon for a tray state: build/<name>.png, or the plain tray icon until that file exists. */
function trayImage(name: TrayView['icon']): NativeImage {
  const specific = join(import.meta.dirname, `../../build/${name}.png`);
  const path = existsSync(specific) ? specific : join(import.meta.dirname, '../../build/tray.png');
  let image = trayImages.get(path);
  if (!image) trayImages.set(path, (image = nativeImage.createFromPath(path)));
  return image;
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
  if (!hub) return;
  const running = hub;
  hub = undefined;
  stopTray?.();
  event.preventDefault();
  void running.stop().finally(() => app.quit());
});
