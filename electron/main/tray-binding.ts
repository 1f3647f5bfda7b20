import type { Tray } from 'electron';
import type { Hub } from '../core/hub.ts';
import { trayIconName, type TrayIconName } from './tray-icons.ts';
import { trayState, type TrayView } from './tray-state.ts';

/** Hub events come in bursts (marking a channel read updates each message): the tray follows at most this often (ms). */
export const TRAY_UPDATE_MS = 250;

/**
 * Keeps the tray (tooltip, icon, macOS title) and the app badge in step with the hub: the unread
 * count outside muted channels and the overall state (see trayState). The icon is the state's
 * (connected, degraded, offline, paused); on Windows and Linux it carries a dot while there are unread
 * messages, and the tooltip gives their count; macOS shows the count beside the icon.
 *
 * Updates follow connection changes and added, updated or removed messages, at most every
 * TRAY_UPDATE_MS; the end of a pause has no event, so a timer looks again then. The start of a pause
 * shows at the next update. Returns a function that stops it: call it before the hub stops, since
 * the store it reads closes then.
 */
export function bindTray(options: {
  tray: Pick<Tray, 'setToolTip' | 'setImage' | 'setTitle'>;
  hub: Pick<Hub, 'on' | 'connectionStatuses' | 'channelCounts'>;
  /** The tray image for an icon name (the state's, with the unread dot on Windows and Linux: trayIconName). */
  image: (icon: TrayIconName) => Parameters<Tray['setImage']>[0];
  /** app.setBadgeCount, where the platform has a badge (macOS, Linux launchers); omit elsewhere. */
  setBadgeCount?: (count: number) => void;
  /** Until when notifications are paused (epoch ms), or undefined. */
  pausedUntilMs: () => number | undefined;
  /** Channels whose unread messages are not counted. */
  muted: () => ReadonlySet<string>;
  platform?: NodeJS.Platform;
  now?: () => number;
  formatTime?: (epochMs: number) => string;
  /** Told when an update failed (the tray keeps what it showed). */
  onError?: (error: Error) => void;
}): () => void {
  const now = options.now ?? Date.now;
  const platform = options.platform ?? process.platform;
  const formatTime = options.formatTime ?? ((ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  let shown: TrayView | undefined;
  let shownIcon: TrayIconName | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pauseEnd: NodeJS.Timeout | undefined;
  let stopped = false;

  const update = (): void => {
    if (stopped) return;
    try {
      show();
    } catch (error) {
      options.onError?.(error as Error);
    }
  };

  const show = (): void => {
    const pausedUntilMs = options.pausedUntilMs();
    const view = trayState({
      connections: options.hub.connectionStatuses(),
      channelCounts: options.hub.channelCounts(),
      muted: options.muted(),
      pausedUntilMs,
      nowMs: now(),
      formatTime,
    });
    clearTimeout(pauseEnd);
    pauseEnd = undefined;
    if (pausedUntilMs !== undefined && pausedUntilMs > now()) {
      pauseEnd = setTimeout(update, pausedUntilMs - now() + 50);
      pauseEnd.unref?.();
    }
    if (shown?.tooltip !== view.tooltip) options.tray.setToolTip(view.tooltip);
    const icon = trayIconName(view, platform);
    if (shownIcon !== icon) options.tray.setImage(options.image(icon));
    shownIcon = icon;
    if (platform === 'darwin' && shown?.label !== view.label) options.tray.setTitle(view.label);
    if (options.setBadgeCount && shown?.badgeCount !== view.badgeCount) options.setBadgeCount(view.badgeCount);
    shown = view;
  };

  const schedule = (): void => {
    if (timer !== undefined || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      update();
    }, TRAY_UPDATE_MS);
    timer.unref?.();
  };

  const offs = (['connectionChanged', 'messagesAdded', 'messageUpdated', 'messagesRemoved', 'pauseChanged'] as const).map((event) => options.hub.on(event, schedule));
  update();
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearTimeout(pauseEnd);
    for (const off of offs) off();
  };
}
