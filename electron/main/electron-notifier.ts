import { Notification, type NotificationConstructorOptions } from 'electron';
import type { Logger } from '../core/logger.ts';
import { escapeBodyMarkup } from '../core/notify/notification-text.ts';
import type { NotificationRequest, Notifier, NotifierEvent } from '../core/notify/notifier.ts';

/**
 * The Windows AppUserModelID: toasts are attributed to it, and Windows shows them only when a Start
 * menu shortcut carries the same ID. It must equal `appId` in electron-builder.yml, whose installers
 * write it into the shortcut (a test checks that they agree).
 */
export const APP_USER_MODEL_ID = 'com.pushdesk.app';

/**
 * The action id of the Acknowledge button (see notificationActions in the core): a request that
 * carries it is a critical alert, which the desktop shell also shows in an alert window.
 */
export const ACKNOWLEDGE_ACTION_ID = 'acknowledge';

/** Notifications kept referenced at most; beyond this the oldest is let go (not closed). */
const MAX_LIVE = 256;

/** Windows toasts take at most five buttons; macOS shows the rest under a menu anyway. */
const MAX_BUTTONS = 5;

/** The part of the alert windows the notifier drives (see createAlertWindows). */
export interface AlertPresenter {
  showAlert(alert: { seq: number; title: string; body: string }): void;
  dismissAlert(seq: number): void;
  onAcknowledge(listener: (seq: number) => void): void;
}

/** How to build the desktop notifier. */
export interface ElectronNotifierOptions {
  readonly logger: Logger;
  /** The shell's own reaction to a click (bring the window up), besides the core's listener. */
  readonly onClick?: (seq: number) => void;
  /** The notification icon, a PNG path (Linux and Windows; macOS always shows the app's icon). */
  readonly iconPath?: string;
  /** Critical alerts (requests with an Acknowledge action) are also shown here until acknowledged. */
  readonly alerts?: AlertPresenter;
  /** The platform whose rules apply; process.platform by default (tests pass others). */
  readonly platform?: NodeJS.Platform;
}

interface Live {
  readonly notification: Notification;
  readonly tag: string;
  readonly request: NotificationRequest;
  /** Set once it was clicked, answered, dismissed, replaced or withdrawn: later events are ignored. */
  done: boolean;
}

/**
 * The desktop shell's Notifier: Electron's Notification, one object per notification on screen.
 *
 * Each object stays referenced until it is clicked, answered, dismissed, replaced or withdrawn:
 * Electron drops the handlers of a garbage-collected Notification. Exactly one event reaches the
 * core per notification: `click`, `action` or `dismissed` (a click or an action also takes it off the
 * screen, so no `dismissed` follows). Notifications the shell closes itself (replace, withdraw) report
 * nothing. A request without a tag reports an empty tag.
 *
 * Per platform (what Electron does underneath; none of it could be run on the build machine):
 * - Linux: libnotify over D-Bus. Electron exposes no notification id, so `replace` closes the old
 *   notification (CloseNotification) and sends a new one: an update, not an in-place change. The
 *   body is escaped (servers read markup in it). `urgency` becomes the urgency hint, `sticky` an
 *   expire timeout of 0, `silent` the suppress-sound hint. Electron adds no buttons on Linux (only the
 *   default click action), so actions stay in the message view. Electron sets no category hint. A
 *   timeout, like a dismissal, emits `close` and is reported as `dismissed`.
 * - macOS: UNUserNotificationCenter. `replace` removes the delivered notification and posts a new one.
 *   Buttons are shown (the first as the main action; the others under Options) only when the app is
 *   signed. Banner or alert style, and thus whether `sticky` stays, is the person's choice in System
 *   Settings; urgency and timeout are ignored. The channel is the subtitle and groups the
 *   notifications in Notification Center.
 * - Windows: toasts, attributed to APP_USER_MODEL_ID. `replace` closes the toast (also from Action
 *   Center) and raises a new one. Buttons come from `actions` (Electron builds the toast XML; custom
 *   `toastXml` is not used). `sticky` is timeoutType "never"; urgency "critical" is passed on. A toast
 *   that times out into Action Center stays referenced, so a click there or a later withdraw still
 *   works; its timeout is not reported as a dismissal.
 */
export function createElectronNotifier(options: ElectronNotifierOptions): Notifier {
  const platform = options.platform ?? process.platform;
  const buttons = platform === 'darwin' || platform === 'win32';
  const live = new Set<Live>();
  const byTag = new Map<string, Live>();
  /** Critical alerts in an alert window: seq → tag. */
  const alertTags = new Map<number, string>();
  let listener: ((event: NotifierEvent) => void) | undefined;
  let unsupportedLogged = false;

  const emit = (event: NotifierEvent): void => {
    try {
      listener?.(event);
    } catch (error) {
      options.logger.error('notification event handler failed', { kind: event.kind, error: (error as Error).message });
    }
  };

  const forget = (entry: Live): void => {
    entry.done = true;
    live.delete(entry);
    if (byTag.get(entry.tag) === entry) byTag.delete(entry.tag);
  };

  /** Takes a notification off the screen without reporting it (a replace or a withdraw). */
  const retire = (entry: Live): void => {
    forget(entry);
    try {
      entry.notification.close();
    } catch (error) {
      options.logger.warn('could not close a notification', { tag: entry.tag, error: (error as Error).message });
    }
  };

  options.alerts?.onAcknowledge((seq) => {
    const tag = alertTags.get(seq) ?? '';
    alertTags.delete(seq);
    emit({ kind: 'action', tag, seq, actionId: ACKNOWLEDGE_ACTION_ID });
  });

  const construct = (request: NotificationRequest): NotificationConstructorOptions => {
    const actions = buttons ? (request.actions ?? []).slice(0, MAX_BUTTONS).map((a) => ({ type: 'button' as const, text: a.label })) : [];
    return {
      title: request.title,
      body: platform === 'linux' ? escapeBodyMarkup(request.body) : request.body,
      urgency: request.urgency,
      timeoutType: request.sticky === true ? 'never' : 'default',
      silent: request.silent === true,
      ...(actions.length > 0 ? { actions } : {}),
      ...(platform === 'darwin' && request.channel !== '' ? { subtitle: request.channel, groupId: request.channel } : {}),
      ...(options.iconPath !== undefined && platform !== 'darwin' ? { icon: options.iconPath } : {}),
    };
  };

  return {
    reportsShown: true,

    show(request: NotificationRequest, shown?: () => void): void {
      const alert = request.actions?.some((a) => a.id === ACKNOWLEDGE_ACTION_ID) === true && request.seq > 0;
      // A newer version of the message (another seq, same tag), or one that no longer needs acknowledging,
      // takes the place of the alert on screen.
      for (const [seq, alertTag] of alertTags) {
        if (request.tag === undefined || alertTag !== request.tag || (alert && seq === request.seq)) continue;
        alertTags.delete(seq);
        options.alerts?.dismissAlert(seq);
      }
      if (alert && options.alerts) {
        alertTags.set(request.seq, request.tag ?? '');
        options.alerts.showAlert({ seq: request.seq, title: request.title, body: request.body });
      }
      if (!Notification.isSupported()) {
        if (!unsupportedLogged) options.logger.warn('this system shows no desktop notifications; messages are kept in history');
        unsupportedLogged = true;
        return;
      }
      const tag = request.tag ?? '';
      const previous = request.tag === undefined ? undefined : byTag.get(request.tag);
      if (previous && request.replace === true) retire(previous);

      const notification = new Notification(construct(request));
      const entry: Live = { notification, tag, request, done: false };
      live.add(entry);
      if (request.tag !== undefined) byTag.set(request.tag, entry);
      if (live.size > MAX_LIVE) {
        const oldest = live.values().next().value;
        if (oldest) forget(oldest);
      }

      let reported = false;
      notification.on('show', () => {
        if (entry.done || reported) return;
        reported = true;
        shown?.();
      });
      notification.on('click', () => {
        if (entry.done) return;
        forget(entry);
        emit({ kind: 'click', tag, seq: request.seq });
        options.onClick?.(request.seq);
      });
      notification.on('action', (details, legacyIndex) => {
        if (entry.done) return;
        const index = typeof details?.actionIndex === 'number' ? details.actionIndex : legacyIndex;
        const action = request.actions?.[index];
        if (!action) {
          options.logger.warn('notification action out of range', { tag, index });
          return;
        }
        forget(entry);
        emit({ kind: 'action', tag, seq: request.seq, actionId: action.id });
      });
      notification.on('close', (details) => {
        if (entry.done) return;
        // A Windows toast that timed out went to Action Center: still there, still clickable.
        if (details?.reason === 'timedOut' && platform === 'win32') return;
        forget(entry);
        emit({ kind: 'dismissed', tag, seq: request.seq });
      });
      notification.on('failed', (_event, error) => {
        forget(entry);
        options.logger.warn('notification failed', { seq: request.seq, tag, error: String(error).slice(0, 300) });
      });
      try {
        notification.show();
      } catch (error) {
        forget(entry);
        options.logger.warn('notification failed', { seq: request.seq, tag, error: (error as Error).message });
      }
    },

    withdraw(tag: string): void {
      const entry = byTag.get(tag);
      if (entry) retire(entry);
      for (const [seq, alertTag] of alertTags) {
        if (alertTag !== tag) continue;
        alertTags.delete(seq);
        options.alerts?.dismissAlert(seq);
      }
    },

    onEvent(next: (event: NotifierEvent) => void): void {
      listener = next;
    },
  };
}
