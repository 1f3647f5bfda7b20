/**
 * The message model shared by the decoder, the store and the hub.
 */

/** ntfy-style priority: 1 min, 2 low, 3 default, 4 high, 5 urgent. */
export type Priority = 1 | 2 | 3 | 4 | 5;

/** A decoded message before it is stored. */
export interface DecodedMessage {
  /** The sender's id when the payload had one; otherwise the store assigns one. */
  readonly id: string | undefined;
  readonly title: string;
  readonly body: string;
  readonly priority: Priority;
  readonly tags: readonly string[];
  /** An http(s) URL to open when the message is clicked. */
  readonly click: string | undefined;
  /** Sender's time in epoch milliseconds, when the payload gave one. */
  readonly sentAtMs: number | undefined;
}

/** Where a message came from. */
export interface MessageOrigin {
  readonly connectionId: string;
  readonly channel: string;
  readonly topic: string;
  readonly retained: boolean;
  readonly receivedAtMs: number;
}

/** A message as kept in the store. */
export interface StoredMessage extends Omit<DecodedMessage, 'id'>, MessageOrigin {
  /** Local, increasing row number: the key the UI uses. */
  readonly seq: number;
  readonly id: string;
  readonly readAtMs: number | undefined;
}
