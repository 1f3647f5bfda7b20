import { z } from 'zod';
import { cleanText } from '../../message/decode-payload.ts';
import type { NtfyAction, NtfyAttachment, NtfyMessage } from './ntfy-types.ts';

/** Default largest frame (one JSON line or WebSocket text frame) accepted, in bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024;

/**
 * Deepest nesting of objects and arrays accepted in a frame.
 *
 * A real ntfy event nests three levels (event > actions > action headers); the cap keeps a hostile
 * frame from making anything downstream recurse deeply.
 */
export const MAX_FRAME_DEPTH = 16;

/** Why a frame was rejected; the message names the field and the reason, for logs and statistics. */
export class NtfyFrameError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'NtfyFrameError';
  }
}

/**
 * An event that carries no message: the stream opened, a keepalive, or a UnifiedPush poll request.
 *
 * `time` is the server's clock in epoch seconds; the source uses the first `open` event's time as a
 * `since=` that does not depend on the desktop's clock being right.
 */
export interface NtfyControlEvent {
  readonly event: 'open' | 'keepalive' | 'poll_request';
  readonly time: number;
}

/**
 * An event about a message: a new message (or a new version of one, see `sequenceId`), or a request to
 * delete or clear (mark read) the message whose sequence id is `message.sequenceId`.
 */
export interface NtfyMessageEvent {
  readonly event: 'message' | 'message_delete' | 'message_clear';
  readonly message: NtfyMessage;
}

/** One validated ntfy event. */
export type NtfyEvent = NtfyControlEvent | NtfyMessageEvent;

/** Largest `time` accepted, in epoch seconds (the year 5138): larger values are milliseconds by mistake. */
const MAX_TIME_SEC = 100_000_000_000;

/** ntfy message ids are 12 random letters and digits; sequence ids are chosen by publishers. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const ID_RULE = 'must be 1 to 64 letters, digits, _ or -';
const TOPIC = /^[A-Za-z0-9_-]{1,64}$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

const epochSec = z.number().int().nonnegative().max(MAX_TIME_SEC, 'must be epoch seconds');

/** Fields every event has (open events may name several topics, comma-separated). */
const envelopeSchema = z.object({
  id: z.string().regex(ID, ID_RULE),
  time: epochSec,
  event: z.enum(['open', 'keepalive', 'poll_request', 'message', 'message_delete', 'message_clear']),
  topic: z.string().min(1).max(4096),
});

const actionSchema = z.object({
  action: z.string().max(64),
  label: z.string().max(1024),
  url: z.string().max(8192).optional(),
  clear: z.boolean().optional(),
});

const attachmentSchema = z.object({
  name: z.string().max(1024),
  type: z.string().max(256).optional(),
  size: z.number().int().nonnegative().optional(),
  expires: epochSec.optional(),
  url: z.string().max(8192),
});

/** Fields of message, message_delete and message_clear events. Unknown fields are ignored. */
const messageSchema = z.object({
  topic: z.string().regex(TOPIC, 'must be one topic name of 1 to 64 letters, digits, _ or -'),
  sequence_id: z.string().regex(ID, ID_RULE).optional(),
  expires: epochSec.optional(),
  title: z.string().max(4096).optional(),
  message: z.string().optional(),
  // ntfy's server omits priority 0 ("not set"); other servers may send it, so 0 reads as unset.
  priority: z.number().int().min(0).max(5).optional(),
  tags: z.array(z.string().max(256)).max(64).optional(),
  click: z.string().max(8192).optional(),
  icon: z.string().max(8192).optional(),
  actions: z.array(actionSchema).max(16).optional(),
  attachment: attachmentSchema.optional(),
  encoding: z.string().max(32).optional(),
});

/**
 * Parses and validates one ntfy event: a line of the `/json` stream, the `data:` of an `/sse` event, or
 * a `/ws` text frame.
 *
 * Links are treated as untrusted: `click`, `icon`, action and attachment URLs must be http:// or
 * https://. A link that is not (javascript:, file:, mailto:, an app scheme...) is dropped, not the
 * message: a desktop hub hands links to the operating system's opener, and only web links are safe to
 * hand over, while the notification text itself is still worth showing. An action whose URL is dropped
 * is dropped whole (a button that does nothing would mislead); so are action kinds the hub cannot carry
 * out (ntfy's `copy`). Text fields lose control and bidi-override characters. A body ntfy sent base64
 * encoded (binary, UnifiedPush) is decoded when it is UTF-8 text and left out otherwise. `__proto__`
 * keys are harmless: only known fields are copied out of the parsed JSON.
 *
 * @param frame the text, or its UTF-8 bytes (then also checked to be valid UTF-8).
 * @throws NtfyFrameError naming what was wrong: too large, not UTF-8, not JSON, nested too deeply, an
 *   unknown event, or a field of the wrong type.
 */
export function parseNtfyFrame(frame: string | Uint8Array, maxBytes: number = DEFAULT_MAX_FRAME_BYTES): NtfyEvent {
  const bytes = typeof frame === 'string' ? Buffer.byteLength(frame, 'utf8') : frame.byteLength;
  if (bytes > maxBytes) throw new NtfyFrameError(`frame of ${bytes} bytes is over the limit of ${maxBytes} bytes`);
  let text: string;
  if (typeof frame === 'string') text = frame;
  else {
    try {
      text = utf8.decode(frame);
    } catch {
      throw new NtfyFrameError('frame is not valid UTF-8');
    }
  }
  if (text.trim() === '') throw new NtfyFrameError('frame is empty');
  if (nestedDeeperThan(text, MAX_FRAME_DEPTH)) throw new NtfyFrameError(`frame nests objects or arrays deeper than ${MAX_FRAME_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new NtfyFrameError(`frame is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new NtfyFrameError('frame is not a JSON object');
  const envelope = check(envelopeSchema, value);
  switch (envelope.event) {
    case 'open':
    case 'keepalive':
    case 'poll_request':
      return { event: envelope.event, time: envelope.time };
    case 'message':
    case 'message_delete':
    case 'message_clear':
      return { event: envelope.event, message: toMessage(envelope.id, envelope.time, envelope.event, check(messageSchema, value)) };
  }
}

function check<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') || 'frame';
  throw new NtfyFrameError(`field "${field}" ${issue?.message ?? 'is invalid'}`);
}

function toMessage(id: string, time: number, event: NtfyMessageEvent['event'], m: z.infer<typeof messageSchema>): NtfyMessage {
  if (event !== 'message' && m.sequence_id === undefined) {
    throw new NtfyFrameError(`${event} event has no "sequence_id": it cannot say which message it is about`);
  }
  return {
    id,
    time,
    expires: m.expires,
    topic: m.topic,
    title: optionalText(m.title),
    message: optionalText(m.encoding === 'base64' ? decodeBase64Text(m.message) : m.message),
    priority: m.priority === undefined || m.priority === 0 ? undefined : (m.priority as 1 | 2 | 3 | 4 | 5),
    tags: (m.tags ?? []).map((tag) => cleanText(tag).trim()).filter((tag) => tag !== ''),
    click: webUrl(m.click),
    icon: webUrl(m.icon),
    actions: toActions(m.actions ?? []),
    attachment: toAttachment(m.attachment),
    sequenceId: m.sequence_id,
  };
}

function toActions(actions: readonly z.infer<typeof actionSchema>[]): NtfyAction[] {
  const kept: NtfyAction[] = [];
  for (const a of actions) {
    if (a.action !== 'view' && a.action !== 'http' && a.action !== 'broadcast') continue;
    const label = cleanText(a.label).trim();
    if (label === '') continue;
    const url = webUrl(a.url);
    if (a.action !== 'broadcast' && url === undefined) continue;
    kept.push({ action: a.action, label, url: a.action === 'broadcast' ? undefined : url, clear: a.clear ?? false });
  }
  return kept;
}

function toAttachment(a: z.infer<typeof attachmentSchema> | undefined): NtfyAttachment | undefined {
  const url = webUrl(a?.url);
  if (a === undefined || url === undefined) return undefined;
  return {
    name: cleanText(a.name).trim() || 'attachment',
    type: a.type === undefined ? undefined : cleanText(a.type).trim() || undefined,
    size: a.size,
    expires: a.expires,
    url,
  };
}

function optionalText(value: string | undefined): string | undefined {
  const text = cleanText(value ?? '').trim();
  return text === '' ? undefined : text;
}

function decodeBase64Text(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return utf8.decode(Buffer.from(value, 'base64'));
  } catch {
    return undefined;
  }
}

/** The URL, normalised, when it is an http:// or https:// URL; otherwise undefined. */
function webUrl(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Whether objects and arrays nest deeper than `limit`, counting brackets outside JSON strings. */
function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
