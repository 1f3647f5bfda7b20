import notifier from 'node-notifier';
import type { Logger } from '../core/logger.ts';
import { escapeBodyMarkup } from '../core/notify/notification-text.ts';
import type { NotificationRequest, Notifier } from '../core/notify/notifier.ts';
import { createNotifySendNotifier, notifySendAvailable } from './notify-send-notifier.ts';

/**
 * Makes text safe to hand to notify-send as plain text.
 *
 * Linux notification servers that announce body-markup (GNOME, KDE, dunst) read `<b>` and `&amp;` in the
 * body, so those characters are escaped. notify-send would read an argument that starts with `-` as
 * an option (node-notifier passes no `--`), so such text gets an invisible word joiner in front.
 */
export function plainTextArgument(text: string, escapeMarkup: boolean): string {
  const escaped = escapeMarkup ? escapeBodyMarkup(text) : text;
  return escaped.startsWith('-') ? `\u2060${escaped}` : escaped;
}

/** notify-send processes allowed at once; more wait in a queue. */
const MAX_IN_FLIGHT = 4;
/** Notifications allowed to wait; beyond this the oldest waiting one is dropped (it stays in history). */
const MAX_WAITING = 32;

/**
 * The headless shell's Notifier: node-notifier (notify-send on Linux, SnoreToast on Windows,
 * terminal-notifier on macOS).
 *
 * node-notifier starts one process per notification, so a burst is throttled: at most four at once
 * and a short queue. A dropped pop-up is logged and counted; its message is already in history.
 * Storm control with summaries is the notification rules' job.
 */
export function createNodeNotifier(options: { appName: string; logger: Logger; platform?: NodeJS.Platform }): Notifier & {
  readonly dropped: () => number;
} {
  const linux = (options.platform ?? process.platform) === 'linux';
  const waiting: { request: NotificationRequest; shown: (() => void) | undefined }[] = [];
  let inFlight = 0;
  let dropped = 0;
  let failuresLogged = 0;

  const run = (request: NotificationRequest, shown: (() => void) | undefined): void => {
    inFlight++;
    notifier.notify(
      {
        title: plainTextArgument(request.title, false),
        message: plainTextArgument(request.body === '' ? ' ' : request.body, linux),
        urgency: request.urgency,
        'app-name': options.appName,
        // notify-send's expire time: critical alerts stay until dismissed.
        ...(request.urgency === 'critical' ? { 'expire-time': 0 } : {}),
        wait: false,
      } as notifier.Notification,
      (error: Error | null) => {
        inFlight--;
        if (error && failuresLogged++ < 20) {
          options.logger.warn('notification not shown', { seq: request.seq, error: String(error).slice(0, 300) });
        }
        if (!error) shown?.();
        const next = waiting.shift();
        if (next) run(next.request, next.shown);
      },
    );
  };

  return {
    reportsShown: true,
    show(request: NotificationRequest, shown?: () => void): void {
      if (inFlight < MAX_IN_FLIGHT) {
        run(request, shown);
        return;
      }
      waiting.push({ request, shown });
      if (waiting.length > MAX_WAITING) {
        waiting.shift();
        if (dropped++ % 100 === 0) options.logger.warn('notification burst: pop-ups dropped, messages kept in history', { dropped });
      }
    },
    dropped: () => dropped,
  };
}

/**
 * The headless shell's notifier for this machine: on Linux with notify-send, the notify-send notifier
 * (updates in place, withdrawals, buttons, clicks: what node-notifier cannot do); elsewhere node-notifier.
 */
export function createHeadlessNotifier(options: { appName: string; logger: Logger }): Notifier & { dispose?: () => void } {
  if (process.platform === 'linux' && notifySendAvailable()) return createNotifySendNotifier(options);
  return createNodeNotifier(options);
}
