import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { BrowserWindow, screen, type IpcMain, type IpcMainEvent } from 'electron';
import { ALERT_ACK_CHANNEL, ALERT_PRELOAD_GLOBAL, ALERT_SHOW_CHANNEL, type AlertView } from '../api/alert-channels.ts';
import type { Logger } from '../core/logger.ts';

/** A critical alert to show until the person acknowledges it. Text is plain text. */
export interface AlertContent {
  readonly seq: number;
  readonly title: string;
  readonly body: string;
}

/** The alert windows, one per alert waiting for acknowledgement. */
export interface AlertWindows {
  /** Shows the alert, or raises its window again (to the front, focused, flashing) when it is already up. */
  showAlert(alert: AlertContent): void;
  /** Closes the alert's window without reporting an acknowledgement (acknowledged elsewhere, or withdrawn). */
  dismissAlert(seq: number): void;
  /** Registers the listener told when the person presses Acknowledge (one listener). */
  onAcknowledge(listener: (seq: number) => void): void;
  /** The seqs whose windows are up, oldest first. */
  readonly open: readonly number[];
  /** Closes every alert window without acknowledging, so the app can quit; the alerts stay unacknowledged. */
  closeAll(): void;
}

/** A press of Acknowledge this soon after the window was raised is ignored (ms): a click or key meant for another window. */
export const ACK_GUARD_MS = 600;

const WIDTH = 460;
const HEIGHT = 280;
/** Each further alert window is this much lower and to the right, so none hides another (px). */
const STACK_OFFSET = 28;
const MAX_TITLE = 300;
const MAX_BODY = 5000;

const STYLE = `
html,body{margin:0;height:100%;font:14px system-ui,sans-serif;background:#7f1d1d;color:#fff}
main{box-sizing:border-box;height:100%;display:flex;flex-direction:column;gap:8px;padding:16px 18px}
.label{margin:0;font-size:12px;letter-spacing:.06em;text-transform:uppercase;opacity:.85}
h1{margin:0;font-size:18px;overflow-wrap:anywhere}
#body{margin:0;flex:1;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere}
#note{margin:0;font-size:12px;opacity:.85}
button{align-self:flex-end;font:600 14px system-ui,sans-serif;padding:8px 18px;border:0;border-radius:6px;background:#fff;color:#7f1d1d;cursor:pointer}
button:focus-visible{outline:3px solid #fde68a;outline-offset:2px}
`;

const SCRIPT = `
const bridge = window.${ALERT_PRELOAD_GLOBAL};
const title = document.getElementById('title');
const body = document.getElementById('body');
const note = document.getElementById('note');
bridge.onAlert((alert) => {
  title.textContent = alert.title === '' ? 'Alert' : alert.title;
  body.textContent = alert.body;
  note.textContent = alert.repeats > 0
    ? 'Raised again ' + alert.repeats + (alert.repeats === 1 ? ' time' : ' times') + '. It comes back until you acknowledge it.'
    : 'It comes back until you acknowledge it.';
  document.title = 'Pushdesk alert: ' + title.textContent;
});
document.getElementById('ack').addEventListener('click', () => bridge.acknowledge());
`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The alert page: static, with no message text in it (the text arrives through the preload and is set
 * as textContent). The CSP allows only its own inline style and script, by hash.
 */
const ALERT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src ${hash(SCRIPT)}; style-src ${hash(STYLE)}; base-uri 'none'; form-action 'none'">
<title>Pushdesk alert</title><style>${STYLE}</style></head>
<body><main role="alertdialog" aria-labelledby="title" aria-describedby="body">
<p class="label">Pushdesk alert: acknowledgement required</p>
<h1 id="title"></h1><p id="body"></p><p id="note"></p>
<button id="ack" type="button">Acknowledge</button>
</main><script>${SCRIPT}</script></body></html>`;

/** The address the alert windows load; the only page allowed to acknowledge. */
export const ALERT_PAGE_URL = `data:text/html;charset=utf-8,${encodeURIComponent(ALERT_PAGE)}`;

interface Entry {
  readonly seq: number;
  readonly window: BrowserWindow;
  view: AlertView;
  raisedAtMs: number;
  loaded: boolean;
  /** Set when the shell itself closes the window (acknowledged, dismissed, quitting). */
  closing: boolean;
}

/**
 * Critical alerts in their own always-on-top windows, on every workspace and over full-screen apps.
 *
 * A window stays until the person presses Acknowledge: closing it (close button, Alt+F4, Cmd+W) is
 * refused and raises it again; minimizing restores it. The core's rules decide the repeats; each
 * `showAlert` for a seq already up raises that window again. The page is sandboxed, with context
 * isolation and no Node; it can only send the acknowledgement, which is accepted from an alert
 * window's own page only, and not in the first ACK_GUARD_MS after a raise.
 *
 * Platform notes (not run here): macOS honours the "screen-saver" level and full-screen spaces;
 * Windows keeps the window topmost but may flash its taskbar button instead of taking focus; X11
 * window managers are asked for "above" and "sticky"; most Wayland compositors ignore both, so there
 * it is an ordinary window that cannot be closed.
 */
export function createAlertWindows(options: {
  ipcMain: Pick<IpcMain, 'on'>;
  /** The built alert preload (out/preload/alert.cjs). */
  preloadPath: string;
  logger: Logger;
  now?: () => number;
}): AlertWindows {
  const now = options.now ?? Date.now;
  const entries = new Map<number, Entry>();
  // Without its preload the page could not acknowledge, and the window could not be closed: show no
  // alert window then (the notification and the message view's Acknowledge remain).
  const usable = existsSync(options.preloadPath);
  if (!usable) options.logger.error('alert windows are off: their preload is missing', { preload: options.preloadPath });
  let listener: ((seq: number) => void) | undefined;

  const send = (entry: Entry): void => {
    if (entry.loaded && !entry.window.isDestroyed()) entry.window.webContents.send(ALERT_SHOW_CHANNEL, entry.view);
  };

  const raise = (entry: Entry): void => {
    const win = entry.window;
    if (win.isDestroyed()) return;
    entry.raisedAtMs = now();
    if (win.isMinimized()) win.restore();
    win.setAlwaysOnTop(true, 'screen-saver');
    win.show();
    win.moveTop();
    win.focus();
    win.flashFrame(true);
  };

  const close = (entry: Entry): void => {
    entry.closing = true;
    entries.delete(entry.seq);
    if (!entry.window.isDestroyed()) entry.window.destroy();
  };

  const create = (seq: number, view: AlertView): Entry => {
    const area = screen.getDisplayNearestPoint(screen.getCursorScreenPoint()).workArea;
    const offset = entries.size * STACK_OFFSET;
    const win = new BrowserWindow({
      width: WIDTH,
      height: HEIGHT,
      x: Math.round(area.x + (area.width - WIDTH) / 2 + offset),
      y: Math.round(area.y + area.height / 4 + offset),
      show: false,
      title: 'Pushdesk alert',
      alwaysOnTop: true,
      skipTaskbar: false,
      focusable: true,
      resizable: false,
      minimizable: false,
      maximizable: false,
      fullscreenable: false,
      closable: false,
      autoHideMenuBar: true,
      backgroundColor: '#7f1d1d',
      webPreferences: {
        preload: options.preloadPath,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        devTools: false,
        spellcheck: false,
        navigateOnDragDrop: false,
      },
    });
    const entry: Entry = { seq, window: win, view, raisedAtMs: now(), loaded: false, closing: false };
    win.removeMenu();
    win.setAlwaysOnTop(true, 'screen-saver');
    win.setVisibleOnAllWorkspaces(true, { visibleOnFullScreen: true });
    win.on('close', (event) => {
      if (entry.closing) return;
      event.preventDefault();
      raise(entry);
    });
    win.on('minimize', () => {
      if (!entry.closing) win.restore();
    });
    win.on('focus', () => win.flashFrame(false));
    // Windows is shutting down or logging off: a window that refuses to close would hold that up.
    win.on('session-end', () => close(entry));
    win.on('closed', () => {
      if (entries.get(seq) === entry) entries.delete(seq);
    });
    win.webContents.on('did-finish-load', () => {
      entry.loaded = true;
      send(entry);
    });
    // A crashed page would leave an empty window that cannot be acknowledged: load it again.
    win.webContents.on('render-process-gone', (_event, details) => {
      options.logger.warn('alert window page crashed; reloading it', { seq, reason: details.reason });
      entry.loaded = false;
      if (!entry.closing) void win.loadURL(ALERT_PAGE_URL);
    });
    win.once('ready-to-show', () => raise(entry));
    void win.loadURL(ALERT_PAGE_URL);
    return entry;
  };

  options.ipcMain.on(ALERT_ACK_CHANNEL, (event: IpcMainEvent) => {
    const entry = [...entries.values()].find((e) => !e.window.isDestroyed() && e.window.webContents === event.sender);
    const frame = event.senderFrame;
    if (!entry || !frame || frame.parent !== null || frame.url !== ALERT_PAGE_URL) {
      options.logger.warn('refused an alert acknowledgement that did not come from an alert window', { url: String(frame?.url ?? '').slice(0, 80) });
      return;
    }
    if (now() - entry.raisedAtMs < ACK_GUARD_MS) return;
    close(entry);
    try {
      listener?.(entry.seq);
    } catch (error) {
      options.logger.error('alert acknowledgement handler failed', { seq: entry.seq, error: (error as Error).message });
    }
  });

  return {
    showAlert(alert: AlertContent): void {
      if (!usable) return;
      const existing = entries.get(alert.seq);
      const view: AlertView = {
        title: alert.title.slice(0, MAX_TITLE),
        body: alert.body.slice(0, MAX_BODY),
        repeats: existing ? existing.view.repeats + 1 : 0,
      };
      if (!existing) {
        entries.set(alert.seq, create(alert.seq, view));
        return;
      }
      existing.view = view;
      send(existing);
      raise(existing);
    },
    dismissAlert(seq: number): void {
      const entry = entries.get(seq);
      if (entry) close(entry);
    },
    onAcknowledge(next: (seq: number) => void): void {
      listener = next;
    },
    get open(): readonly number[] {
      return [...entries.keys()];
    },
    closeAll(): void {
      for (const entry of [...entries.values()]) close(entry);
    },
  };
}
