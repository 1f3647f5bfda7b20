import type { StoredMessage } from '../message/message.ts';

/** Notification urgency, as the freedesktop spec names it (low, normal, critical). */
export type Urgency = 'low' | 'normal' | 'critical';

/** What the core asks the OS to show. Text is plain text, never markup. */
export interface NotificationRequest {
  /** The message's local seq, so a click can open it. */
  readonly seq: number;
  readonly title: string;
  readonly body: string;
  readonly urgency: Urgency;
  /** Channel name, shown by some platforms as a category. */
  readonly channel: string;
}

/**
 * The port through which the core raises OS notifications.
 *
 * Electron's Notification in the desktop shell, node-notifier in the headless shell; tests may record.
 * `show` must not throw: an adapter logs its own failures.
 */
export interface Notifier {
  /**
   * Raises a notification. An adapter that `reportsShown` calls `shown` once the OS has shown it (never
   * when it was dropped or failed); for the others the core takes the return of `show` as shown.
   */
  show(request: NotificationRequest, shown?: () => void): void;
  /** Whether `show` calls its `shown` callback (the displayed receipt then waits for it). */
  readonly reportsShown?: boolean;
}

/** Maps ntfy priority to urgency: 1-2 low, 3-4 normal, 5 critical. */
export function urgencyFor(priority: number): Urgency {
  if (priority >= 5) return 'critical';
  if (priority <= 2) return 'low';
  return 'normal';
}

/** Builds the notification for a newly stored message. */
export function notificationFor(message: StoredMessage): NotificationRequest {
  return {
    seq: message.seq,
    title: message.title,
    body: message.body,
    urgency: urgencyFor(message.priority),
    channel: message.channel,
  };
}
