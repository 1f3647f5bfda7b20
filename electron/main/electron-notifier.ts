import { Notification } from 'electron';
import type { Logger } from '../core/logger.ts';
import { escapeBodyMarkup } from '../core/notify/notification-text.ts';
import type { NotificationRequest, Notifier } from '../core/notify/notifier.ts';

/**
 * The desktop shell's Notifier: Electron's Notification. A click brings the window up (opening the
 * message itself comes with the notification rules).
 */
export function createElectronNotifier(options: { logger: Logger; onClick: (seq: number) => void }): Notifier {
  // Electron drops a Notification's click handler once the object is garbage-collected: keep each one
  // until it is clicked or closed.
  const shown = new Set<Notification>();
  return {
    reportsShown: true,
    show(request: NotificationRequest, onShown?: () => void): void {
      if (!Notification.isSupported()) return;
      const notification = new Notification({
        title: request.title,
        // libnotify on Linux reads markup in the body; elsewhere the body is plain text already.
        body: process.platform === 'linux' ? escapeBodyMarkup(request.body) : request.body,
        urgency: request.urgency,
        timeoutType: request.urgency === 'critical' ? 'never' : 'default',
      });
      shown.add(notification);
      notification.on('click', () => {
        shown.delete(notification);
        options.onClick(request.seq);
      });
      notification.on('close', () => shown.delete(notification));
      notification.on('show', () => onShown?.());
      notification.on('failed', (_event, error) => options.logger.warn('notification failed', { seq: request.seq, error }));
      notification.show();
    },
  };
}
