/**
 * Names and shapes shared by the alert window's preload and the Electron shell. Kept apart from the
 * UI contract: the alert window can do one thing, acknowledge the alert it shows.
 */

/** The name under which the alert preload exposes its bridge to the alert page. */
export const ALERT_PRELOAD_GLOBAL = 'pushdeskAlert';

/** Main to alert page: the alert to show (an AlertView). */
export const ALERT_SHOW_CHANNEL = 'pushdesk:alert-show';

/** Alert page to main: the person pressed Acknowledge. Carries nothing: the window names the alert. */
export const ALERT_ACK_CHANNEL = 'pushdesk:alert-ack';

/** What the alert page shows; all of it plain text. */
export interface AlertView {
  readonly title: string;
  readonly body: string;
  /** How many times it has been raised again since it first appeared. */
  readonly repeats: number;
}

/** What the alert preload exposes on `window[ALERT_PRELOAD_GLOBAL]`. */
export interface AlertBridge {
  /** Calls `listener` with each alert the shell sends (the first one and each repeat). */
  onAlert(listener: (alert: AlertView) => void): void;
  /** Tells the shell the person acknowledged the alert. */
  acknowledge(): void;
}
