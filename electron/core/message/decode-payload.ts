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

/**
 * Anything cleanText would change: a carriage return, a byte-order mark (anywhere, to keep it simple)
 * or one of CONTROL_CHARS. Text without any is returned as it is, without three replaces.
 */
// eslint-disable-next-line no-control-regex
const NEEDS_CLEANING = /[\r\ufeff\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Removes control characters, bidi overrides and the byte-order mark, normalises line breaks. */
export function cleanText(text: string): string {
  if (!NEEDS_CLEANING.test(text)) return text;
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

/** A message id or sequence id. */
const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * The reference for what a JSON message may hold: every payload the fast path (parseCommonShape) does not
 * accept outright is decided here, with its error messages.
 */
const jsonMessageSchema = z.object({
  id: z.string().regex(ID_PATTERN, 'must be 1 to 128 letters, digits or _ . : -').optional(),
  /** A newer version of the message with this id (or sequence id): it replaces it, in history and on screen. */
  sequence_id: z.string().regex(ID_PATTERN, 'must be 1 to 128 letters, digits or _ . : -').optional(),
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
  return decodeJsonValue(value, channel);
}

/** The validated fields of a JSON message, as the schema gives them. */
export type JsonMessage = z.output<typeof jsonMessageSchema>;

/** The fields of a JSON message as the schema alone validates them (the reference), or a PayloadError naming the first problem. */
export function parseWithSchema(value: unknown): JsonMessage {
  const result = jsonMessageSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') || 'payload';
    throw new PayloadError(`field "${field}" ${issue?.message ?? 'is invalid'}`);
  }
  return result.data;
}

/**
 * The fast path of decoding: the common shape checked by hand, an object with any of id, sequence_id,
 * title, message, priority, tags, time, ack and ack_repeat, each valid.
 *
 * It returns undefined whenever it is not sure (another schema field such as click, actions or
 * receipts, a wrong type, a bound crossed, a string longer in UTF-16 units than its limit, which zod
 * counts in code points) and the schema then decides, so what is accepted and every error message
 * stay the schema's. It reads the fields as zod does (by name, unknown ones ignored) and returns what
 * the schema would; test/unit/decode-payload.test.ts compares the two on many generated payloads.
 */
export function parseCommonShape(value: unknown): JsonMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (v.click !== undefined || v.actions !== undefined || v.receipts !== undefined) return undefined;
  const { id, sequence_id: sequenceId, title, message, priority, tags, time, ack, ack_repeat: ackRepeat } = v;
  if (id !== undefined && (typeof id !== 'string' || !ID_PATTERN.test(id))) return undefined;
  if (sequenceId !== undefined && (typeof sequenceId !== 'string' || !ID_PATTERN.test(sequenceId))) return undefined;
  if (title !== undefined && (typeof title !== 'string' || title.length > 1024)) return undefined;
  if (message !== undefined && typeof message !== 'string') return undefined;
  if (priority !== undefined && (typeof priority !== 'number' || !Number.isSafeInteger(priority) || priority < 1 || priority > 5)) return undefined;
  if (tags !== undefined) {
    if (!Array.isArray(tags) || tags.length > 64) return undefined;
    for (let i = 0; i < tags.length; i++) {
      const tag: unknown = tags[i];
      if (typeof tag !== 'string' || tag.length > 256) return undefined;
    }
  }
  if (time !== undefined && (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0 || time > MAX_TIME_SEC)) return undefined;
  if (ack !== undefined && typeof ack !== 'boolean') return undefined;
  if (ackRepeat !== undefined && (typeof ackRepeat !== 'number' || !Number.isSafeInteger(ackRepeat) || ackRepeat < 30 || ackRepeat > 86_400)) return undefined;
  return {
    id: id as string | undefined,
    sequence_id: sequenceId as string | undefined,
    title: title as string | undefined,
    message: message as string | undefined,
    priority: priority as number | undefined,
    tags: tags as string[] | undefined,
    click: undefined,
    actions: undefined,
    time: time as number | undefined,
    receipts: undefined,
    ack: ack as boolean | undefined,
    ack_repeat: ackRepeat as number | undefined,
  };
}

/** What decodeJson gives for the parsed JSON `value`; `fastPath: false` validates with the schema alone (for tests). */
export function decodeJsonValue(value: unknown, channel: string, fastPath = true): DecodedMessage {
  const m = (fastPath ? parseCommonShape(value) : undefined) ?? parseWithSchema(value);
  const title = cleanText(m.title ?? '').trim();
  const body = cleanText(m.message ?? '').trim();
  if (title === '' && body === '') throw new PayloadError('JSON message has neither "title" nor "message"');
  // Built field by field in the order the spreads used to give, so every message has one shape.
  const decoded: Mutable<DecodedMessage> = {
    id: m.id,
    title: title === '' ? channel : title,
    body,
    priority: (m.priority ?? 3) as Priority,
    tags: m.tags === undefined || m.tags.length === 0 ? [] : m.tags.map(cleanText),
    click: m.click,
    sentAtMs: m.time === undefined ? undefined : m.time * 1000,
  };
  if (m.receipts !== undefined) decoded.receipts = [...new Set(m.receipts)];
  if (m.ack === true) decoded.requiresAck = true;
  if (m.sequence_id !== undefined) decoded.sequenceId = m.sequence_id;
  if (m.actions !== undefined || m.ack_repeat !== undefined) {
    const extra: Record<string, unknown> = {};
    if (m.actions !== undefined) extra.actions = m.actions.map((a) => ({ ...a, label: cleanText(a.label), clear: false }));
    if (m.ack_repeat !== undefined) extra.ackRepeatSec = m.ack_repeat;
    decoded.extra = extra;
  }
  return decoded;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
