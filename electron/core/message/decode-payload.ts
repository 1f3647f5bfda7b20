import { z } from 'zod';
import type { DecodedMessage, Priority } from './message.ts';

/** Default largest payload accepted, in bytes. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;

/** Why a payload was rejected; `reason` is meant for logs and the connection's statistics. */
export class PayloadError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PayloadError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * C0 and C1 control characters other than tab and newline (NUL in particular breaks notification back
 * ends), and the bidirectional embeddings, overrides and isolates that can disguise text ("Trojan
 * Source"). Right-to-left text itself is unaffected.
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Largest `time` accepted, in epoch seconds (the year 5138): anything larger is almost surely
 * milliseconds sent by mistake, which would otherwise be stored as a date millennia ahead.
 */
const MAX_TIME_SEC = 100_000_000_000;

/** Removes control characters, bidi overrides and the byte-order mark, normalises line breaks. */
export function cleanText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/^\ufeff/, '').replace(CONTROL_CHARS, '');
}

/** An absolute http or https URL, at most 4 KiB. */
const httpUrlSchema = z
  .string()
  .max(4096)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL');

/** ntfy-style action buttons: view opens the URL, http POSTs to it. */
const actionSchema = z.object({
  action: z.enum(['view', 'http'], { error: 'must be "view" or "http"' }),
  label: z.string().min(1).max(64),
  url: httpUrlSchema,
});

const jsonMessageSchema = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1 to 128 letters, digits or _ . : -')
    .optional(),
  /** A newer version of the message with this id (or sequence id): it replaces it, in history and on screen. */
  sequence_id: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1 to 128 letters, digits or _ . : -')
    .optional(),
  title: z.string().max(1024).optional(),
  message: z.string().optional(),
  priority: z.number().int().min(1).max(5).optional(),
  tags: z.array(z.string().max(256)).max(64).optional(),
  click: httpUrlSchema.optional(),
  actions: z.array(actionSchema).max(3, 'at most 3 actions').optional(),
  time: z.number().int().nonnegative().max(MAX_TIME_SEC, 'must be epoch seconds (this looks like milliseconds)').optional(),
  receipts: z.array(z.enum(['delivered', 'displayed', 'read', 'acknowledged', 'action'])).max(5).optional(),
  ack: z.boolean().optional(),
  /** Seconds between repeats of an alert that waits for acknowledgement. */
  ack_repeat: z.number().int().min(30, 'must be at least 30 (seconds)').max(86_400).optional(),
});

/**
 * Decodes an MQTT payload into a message.
 *
 * A payload whose first non-blank character is `{` is read as ntfy-style JSON (id, title, message,
 * priority 1-5, tags, click, time in epoch seconds, receipts asked for, ack); anything else is plain UTF-8 text that becomes
 * the body, with the channel name as title. Unknown JSON fields are ignored.
 *
 * @throws PayloadError naming what was wrong: too large, not UTF-8, not JSON, or a field of the wrong type.
 */
export function decodePayload(
  payload: Uint8Array,
  channel: string,
  maxPayloadBytes: number = DEFAULT_MAX_PAYLOAD_BYTES,
): DecodedMessage {
  if (payload.byteLength > maxPayloadBytes) {
    throw new PayloadError(`payload of ${payload.byteLength} bytes is over the limit of ${maxPayloadBytes} bytes`);
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    throw new PayloadError('payload is not valid UTF-8');
  }
  if (/^\s*\{/.test(text)) return decodeJson(text, channel);
  const body = cleanText(text).trim();
  if (body === '') throw new PayloadError('payload is empty');
  return { id: undefined, title: channel, body, priority: 3, tags: [], click: undefined, sentAtMs: undefined };
}

function decodeJson(text: string, channel: string): DecodedMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PayloadError(`payload is not valid JSON: ${(error as Error).message}`);
  }
  const result = jsonMessageSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') || 'payload';
    throw new PayloadError(`field "${field}" ${issue?.message ?? 'is invalid'}`);
  }
  const m = result.data;
  const title = cleanText(m.title ?? '').trim();
  const body = cleanText(m.message ?? '').trim();
  if (title === '' && body === '') throw new PayloadError('JSON message has neither "title" nor "message"');
  return {
    id: m.id,
    title: title === '' ? channel : title,
    body,
    priority: (m.priority ?? 3) as Priority,
    tags: (m.tags ?? []).map(cleanText),
    click: m.click,
    sentAtMs: m.time === undefined ? undefined : m.time * 1000,
    ...(m.receipts === undefined ? {} : { receipts: [...new Set(m.receipts)] }),
    ...(m.ack === true ? { requiresAck: true } : {}),
    ...(m.sequence_id === undefined ? {} : { sequenceId: m.sequence_id }),
    ...(m.actions === undefined && m.ack_repeat === undefined
      ? {}
      : {
          extra: {
            ...(m.actions === undefined ? {} : { actions: m.actions.map((a) => ({ ...a, label: cleanText(a.label), clear: false })) }),
            ...(m.ack_repeat === undefined ? {} : { ackRepeatSec: m.ack_repeat }),
          },
        }),
  };
}
