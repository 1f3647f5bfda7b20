import notifier from 'node-notifier';
import type { Logger } from '../core/logger.ts';
import type { NotificationRequest, Notifier } from '../core/notify/notifier.ts';

/**
 * Makes text safe to hand to notify-send as plain text.
 *
 * Linux notification servers that announce body-markup (GNOME, KDE, dunst) read `<b>` and `&amp;` in the
 * body, so those characters are escaped. notify-send would read an argument that starts with `-` as
 * an option (node-notifier passes no `--`), so such text gets an invisible word joiner in front.
 */
export function plainTextArgument(text: string, escapeMarkup: boolean): string {
  const escaped = escapeMarkup ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : text;
  return escaped.startsWith('-') ? `\u2060${escaped}` : escaped;
}

/**
 * The headless shell's Notifier: node-notifier (notify-send on Linux, SnoreToast on Windows,
 * terminal-notifier on macOS).
 */
export function createNodeNotifier(options: { appName: string; logger: Logger; platform?: NodeJS.Platform }): Notifier {
  const linux = (options.platform ?? process.platform) === 'linux';
  return {
    show(request: NotificationRequest): void {
      notifier.notify(
        {
          title: plainTextArgument(request.title, false),
          message: plainTextArgument(request.body === '' ? ' ' : request.body, linux),
          urgency: request.urgency,
          'app-name': options.appName,
          wait: false,
        } as notifier.Notification,
        (error: Error | null) => {
          if (error) options.logger.warn('notification not shown', { seq: request.seq, error: String(error).slice(0, 200) });
        },
      );
    },
  };
}
