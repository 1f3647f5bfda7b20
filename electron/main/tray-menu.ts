import type { MenuItemConstructorOptions } from 'electron';
import type { Hub } from '../core/hub.ts';
import type { ConnectionState } from '../core/sources/connection-status.ts';
import type { StartAtLogin } from './login-item.ts';

/** The pause the tray offers (ms). */
export const TRAY_PAUSE_MS = 60 * 60 * 1000;

/** Connections listed in the menu by name; the rest are counted in one line. */
export const MENU_CONNECTIONS_MAX = 10;

/** Hub events come in bursts: the menu is rebuilt at most this often (ms), and only when it changed. */
export const TRAY_MENU_UPDATE_MS = 250;

const STATE_WORDS: Record<ConnectionState, string> = {
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  offline: 'offline',
  suspended: 'suspended',
  stopped: 'stopped',
};

/** What the tray menu shows. */
export interface TrayMenuInputs {
  readonly connections: readonly { readonly id: string; readonly state: ConnectionState }[];
  /** Until when notifications are paused (epoch ms); undefined, or a past instant, when they are not. */
  readonly pausedUntilMs: number | undefined;
  readonly nowMs: number;
  /** The end of a pause as the person reads it ("14:30"). */
  readonly formatTime: (epochMs: number) => string;
  /** Quiet hours on or off, and whether the policy locks them (omitted: the item is not shown). */
  readonly quietHours?: { readonly enabled: boolean; readonly locked: boolean } | undefined;
  /** Start at login as resolved (omitted: the item is not shown). */
  readonly startAtLogin?: StartAtLogin | undefined;
}

/** What the menu's items do. */
export interface TrayMenuActions {
  open(): void;
  pause(durationMs: number): void;
  resume(): void;
  setStartAtLogin(enabled: boolean): void;
  setQuietHours?(enabled: boolean): void;
  /** Saves the diagnostics bundle for support (omitted: the item is not shown). */
  diagnostics?(): void;
  quit(): void;
}

/** A checkbox the managed policy may lock: then shown as set by the organisation, and not changeable. */
function lockableSwitch(
  id: string,
  label: string,
  state: { readonly enabled: boolean; readonly locked: boolean },
  change: (on: boolean) => void,
): MenuItemConstructorOptions {
  return {
    id,
    label: state.locked ? `${label} (set by your organization)` : label,
    type: 'checkbox',
    checked: state.enabled,
    enabled: !state.locked,
    click: (item) => change(item.checked),
  };
}

/**
 * The tray's context menu: Open; pause for an hour (or resume, naming the end); start at login (a
 * checkbox, disabled when the policy locks it); each connection and its state (disabled items:
 * information, not commands); Diagnostics… (saves the bundle for support); Quit.
 */
export function trayMenuTemplate(inputs: TrayMenuInputs, actions: TrayMenuActions): MenuItemConstructorOptions[] {
  const paused = inputs.pausedUntilMs !== undefined && inputs.pausedUntilMs > inputs.nowMs;
  const items: MenuItemConstructorOptions[] = [
    { id: 'open', label: 'Open', click: () => actions.open() },
    { type: 'separator' },
    paused && inputs.pausedUntilMs !== undefined
      ? { id: 'resume', label: `Resume notifications (paused until ${inputs.formatTime(inputs.pausedUntilMs)})`, click: () => actions.resume() }
      : { id: 'pause', label: 'Pause notifications for 1 hour', click: () => actions.pause(TRAY_PAUSE_MS) },
  ];
  if (inputs.quietHours) items.push(lockableSwitch('quiet-hours', 'Quiet hours', inputs.quietHours, (on) => actions.setQuietHours?.(on)));
  if (inputs.startAtLogin) items.push(lockableSwitch('start-at-login', 'Start at login', inputs.startAtLogin, (on) => actions.setStartAtLogin(on)));
  items.push({ type: 'separator' });
  if (inputs.connections.length === 0) {
    items.push({ id: 'no-connections', label: 'No connections configured', enabled: false });
  } else {
    for (const connection of inputs.connections.slice(0, MENU_CONNECTIONS_MAX)) {
      items.push({ id: `connection:${connection.id}`, label: `${connection.id}: ${STATE_WORDS[connection.state]}`, enabled: false });
    }
    const more = inputs.connections.length - MENU_CONNECTIONS_MAX;
    if (more > 0) {
      const down = inputs.connections.slice(MENU_CONNECTIONS_MAX).filter((c) => c.state !== 'connected').length;
      items.push({ id: 'connections-more', label: `${more} more (${down} not connected)`, enabled: false });
    }
  }
  items.push({ type: 'separator' });
  if (actions.diagnostics) items.push({ id: 'diagnostics', label: 'Diagnostics…', click: () => actions.diagnostics?.() });
  items.push({ id: 'quit', label: 'Quit', click: () => actions.quit() });
  return items;
}

/**
 * Keeps the tray's menu in step with the hub: connection states, the pause (and its end, which has no
 * event: a timer looks again then), quiet hours and start at login (on the hub's settingsChanged, and
 * `refresh` after the person changes them in the menu).
 */
export function bindTrayMenu<M>(options: {
  tray: { setContextMenu(menu: M): void };
  /** Menu.buildFromTemplate. */
  build: (template: MenuItemConstructorOptions[]) => M;
  hub: Pick<Hub, 'on' | 'connectionStatuses' | 'notificationsPausedUntilMs'> & Partial<Pick<Hub, 'quietHoursEnabled' | 'quietHoursLocked'>>;
  actions: TrayMenuActions;
  startAtLogin: () => StartAtLogin | undefined;
  now?: () => number;
  formatTime?: (epochMs: number) => string;
  onError?: (error: Error) => void;
}): { refresh: () => void; stop: () => void } {
  const now = options.now ?? Date.now;
  const formatTime = options.formatTime ?? ((ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  let shown: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pauseEnd: NodeJS.Timeout | undefined;
  let stopped = false;

  const refresh = (): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = undefined;
    try {
      const pausedUntilMs = options.hub.notificationsPausedUntilMs;
      const template = trayMenuTemplate(
        {
          connections: options.hub.connectionStatuses().map(({ id, state }) => ({ id, state })),
          pausedUntilMs,
          nowMs: now(),
          formatTime,
          startAtLogin: options.startAtLogin(),
          quietHours:
            options.hub.quietHoursEnabled === undefined
              ? undefined
              : { enabled: options.hub.quietHoursEnabled, locked: options.hub.quietHoursLocked === true },
        },
        options.actions,
      );
      clearTimeout(pauseEnd);
      pauseEnd = undefined;
      if (pausedUntilMs !== undefined && pausedUntilMs > now()) {
        pauseEnd = setTimeout(refresh, pausedUntilMs - now() + 50);
        pauseEnd.unref?.();
      }
      // Rebuilding a menu that is open closes it on some platforms: only when something shows differently.
      const signature = JSON.stringify(template.map(({ id, label, checked, enabled }) => [id, label, checked, enabled]));
      if (signature === shown) return;
      options.tray.setContextMenu(options.build(template));
      shown = signature;
    } catch (error) {
      options.onError?.(error as Error);
    }
  };
  const schedule = (): void => {
    if (timer !== undefined || stopped) return;
    timer = setTimeout(refresh, TRAY_MENU_UPDATE_MS);
    timer.unref?.();
  };
  // Settings changed elsewhere (the Settings screen: quiet hours, start at login) show here too.
  const offs = [options.hub.on('connectionChanged', schedule), options.hub.on('pauseChanged', refresh), options.hub.on('settingsChanged', schedule)];
  refresh();
  return {
    refresh,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(pauseEnd);
      for (const off of offs) off();
    },
  };
}
