import { randomUUID } from 'node:crypto';
import type { RequestedReceipt, StoredMessage } from '../message/message.ts';

/**
 * Receipt statuses: delivered (committed to the store), displayed (the OS notification was shown),
 * read, acknowledged (the person pressed Acknowledge), action:<id> (a notification action was chosen).
 */
export type ReceiptStatus = 'delivered' | 'displayed' | 'read' | 'acknowledged' | `action:${string}`;

/** The settings class a status belongs to: every action:<id> is "action". */
export function statusKind(status: ReceiptStatus): RequestedReceipt {
  return status.startsWith('action:') ? 'action' : (status as RequestedReceipt);
}

/**
 * Whether a receipt of `status` is sent for `message`.
 *
 * The sender's request (the message's `receipts` list; without one, a read receipt, plus acknowledged
 * when it asks for acknowledgement) is honoured only within what the connection and the channel allow.
 */
export function receiptWanted(
  status: ReceiptStatus,
  message: Pick<StoredMessage, 'receipts' | 'requiresAck'>,
  allowed: { connection: readonly RequestedReceipt[]; channel?: readonly RequestedReceipt[] | undefined },
): boolean {
  const kind = statusKind(status);
  const requested = message.receipts ?? (message.requiresAck ? ['read', 'acknowledged'] : ['read']);
  return requested.includes(kind) && allowed.connection.includes(kind) && (allowed.channel?.includes(kind) ?? true);
}

/**
 * The JSON body of a receipt, as published to the receipt topic (see docs/receipts.md).
 */
export interface Receipt {
  readonly type: 'receipt';
  /** Unique per receipt: a receiver drops a copy with an id it has seen. */
  readonly receiptId: string;
  readonly messageId: string;
  readonly channel: string;
  readonly topic: string;
  readonly status: ReceiptStatus;
  /** ISO 8601 time of the state change. */
  readonly time: string;
  readonly deviceId: string;
}

/** Builds a receipt for `message`. */
export function buildReceipt(
  message: StoredMessage,
  status: ReceiptStatus,
  deviceId: string,
  atMs: number,
  newId: () => string = randomUUID,
): Receipt {
  return {
    type: 'receipt',
    receiptId: newId(),
    messageId: message.id,
    channel: message.channel,
    topic: message.topic,
    status,
    time: new Date(atMs).toISOString(),
    deviceId,
  };
}

/**
 * Fills a receipt topic template.
 *
 * {device}, {channel} and {connection} are replaced with `/`, `+` and `#` in the values turned into `_`
 * (they would change the topic's structure); {topic}, the message's own topic, keeps its levels.
 */
export function receiptTopic(
  template: string,
  values: { device: string; channel: string; connection: string; topic?: string },
): string {
  const safe = (value: string): string => value.replace(/[/+#]/g, '_').replaceAll('\u0000', '_');
  // One pass, so a value that contains "{connection}" is not expanded again.
  return template.replace(/\{(device|channel|connection|topic)\}/g, (_match, name: keyof typeof values) =>
    name === 'topic' ? (values.topic ?? '').replace(/[+#]/g, '_').replaceAll('\u0000', '_') : safe(values[name] ?? ''),
  );
}
