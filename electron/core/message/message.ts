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
  /** Messages sharing a sequence id are versions of one message: a newer one replaces the older. */
  readonly sequenceId?: string | undefined;
  /** Source-specific details kept as JSON (ntfy actions, attachment metadata, icon, expiry). */
  readonly extra?: Readonly<Record<string, unknown>> | undefined;
  /** The receipt statuses the sender asked for; undefined when it did not say (see docs/receipts.md). */
  readonly receipts?: readonly RequestedReceipt[] | undefined;
  /** The sender asks the person to acknowledge this message. */
  readonly requiresAck?: boolean | undefined;
}

/** Receipt statuses a sender can ask for; `action` stands for every action:<id>. */
export type RequestedReceipt = 'delivered' | 'displayed' | 'read' | 'acknowledged' | 'action';

/** Where a message came from. */
export interface MessageOrigin {
  readonly connectionId: string;
  readonly channel: string;
  readonly topic: string;
  readonly retained: boolean;
  readonly receivedAtMs: number;
  /** MQTT 5: where the sender asked replies (our receipts) to go, and the correlation data to echo. */
  readonly responseTopic?: string | undefined;
  readonly correlationData?: Uint8Array | undefined;
}

/** A message as kept in the store. */
export interface StoredMessage extends Omit<DecodedMessage, 'id'>, MessageOrigin {
  /** Local, increasing row number: the key the UI uses. */
  readonly seq: number;
  readonly id: string;
  readonly readAtMs: number | undefined;
  /** When the OS notification was shown, and when the person acknowledged the message. */
  readonly displayedAtMs?: number | undefined;
  readonly acknowledgedAtMs?: number | undefined;
  /** Seqs of older versions this message replaced (same sequence id); they are now deleted. */
  readonly replacesSeqs?: readonly number[];
}
