import { Notification } from 'electron';
import type { Logger } from '../core/logger.ts';
import type { NotificationRequest, Notifier } from '../core/notify/notifier.ts';

/**
 * The desktop shell's Notifier: Electron's Notification. A click opens the window on the message.
 */
export function createElectronNotifier(options: { logger: Logger; onClick: (seq: number) => void }): Notifier {
  return {
    show(request: NotificationRequest): void {
      if (!Notification.isSupported()) return;
      const notification = new Notification({
        title: request.title,
        body: request.body,
        urgency: request.urgency,
        timeoutType: request.urgency === 'critical' ? 'never' : 'default',
      });
      notification.on('click', () => options.onClick(request.seq));
      notification.on('failed', (_event, error) => options.logger.warn('notification failed', { seq: request.seq, error }));
      notification.show();
    },
  };
}
