import type { StoredMessage } from '../message/message.ts';

/** Notification urgency, as the freedesktop spec names it (low, normal, critical). */
export type Urgency = 'low' | 'normal' | 'critical';

/** A button on a notification; `id` comes back in the action event. */
export interface NotificationAction {
  readonly id: string;
  readonly label: string;
}

/** What the core asks the OS to show. Text is plain text, never markup. */
export interface NotificationRequest {
  /** The message's local seq, so a click can open it (0 for summaries and notices). */
  readonly seq: number;
  readonly title: string;
  readonly body: string;
  readonly urgency: Urgency;
  /** Channel name, shown by some platforms as a category. */
  readonly channel: string;
  /**
   * Names the notification on screen. With `replace`, a request whose tag is on screen updates that
   * notification in place (Linux: the same D-Bus notification id) instead of adding one; `withdraw`
   * removes it.
   */
  readonly tag?: string | undefined;
  readonly replace?: boolean | undefined;
  /** No sound. */
  readonly silent?: boolean | undefined;
  /** Ask for a sound even where the platform's default is silent (priority 4 and up). */
  readonly sound?: boolean | undefined;
  /** Stays until dismissed (no timeout). */
  readonly sticky?: boolean | undefined;
  /** Buttons, where the platform shows them; otherwise the message view offers the same actions. */
  readonly actions?: readonly NotificationAction[] | undefined;
}

/** What the person did with a notification. */
export type NotifierEvent =
  | { readonly kind: 'click'; readonly tag: string; readonly seq: number }
  | { readonly kind: 'action'; readonly tag: string; readonly seq: number; readonly actionId: string }
  | { readonly kind: 'dismissed'; readonly tag: string; readonly seq: number };

/**
 * The port through which the core raises OS notifications.
 *
 * Electron's Notification in the desktop shell, notify-send (Linux) or node-notifier in the headless
 * shell; tests may record. No method may throw: an adapter logs its own failures.
 */
export interface Notifier {
  /**
   * Raises (or, with `replace`, updates) a notification. An adapter that `reportsShown` calls `shown`
   * once the OS has shown it (never when it was dropped or failed); for the others the core takes the
   * return of `show` as shown.
   */
  show(request: NotificationRequest, shown?: () => void): void;
  /** Whether `show` calls its `shown` callback (the displayed receipt then waits for it). */
  readonly reportsShown?: boolean;
  /** Removes the notification with this tag if it is still on screen. */
  withdraw?(tag: string): void;
  /** Registers the listener for clicks, chosen actions and dismissals (one listener; the hub). */
  onEvent?(listener: (event: NotifierEvent) => void): void;
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
