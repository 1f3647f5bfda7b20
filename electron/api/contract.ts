import { z } from 'zod';

/**
 * The one contract between the UI and the core: every call and event, as types plus runtime schemas.
 *
 * Both shells bind it (Electron IPC through the preload, the headless WebSocket bridge), and both
 * sides validate what crosses it. This module imports nothing but zod, so the renderer can use it.
 */

/** A message as the UI sees it. */
export const messageSchema = z.object({
  seq: z.number().int().positive(),
  id: z.string(),
  connectionId: z.string(),
  channel: z.string(),
  topic: z.string(),
  title: z.string(),
  body: z.string(),
  priority: z.number().int().min(1).max(5),
  tags: z.array(z.string()),
  click: z.string().nullable(),
  retained: z.boolean(),
  receivedAtMs: z.number(),
  readAtMs: z.number().nullable(),
  requiresAck: z.boolean(),
  acknowledgedAtMs: z.number().nullable(),
  /** The message's buttons, also shown in the message view (where the platform shows none). */
  actions: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      kind: z.enum(['view', 'http', 'acknowledge']),
      /** view and http: the link (checked again before it is opened). */
      url: z.string().nullable(),
    }),
  ),
});
export type UiMessage = z.infer<typeof messageSchema>;

/** One connection's state for the UI. */
export const connectionStatusSchema = z.object({
  id: z.string(),
  url: z.string(),
  state: z.enum(['connecting', 'connected', 'reconnecting', 'offline', 'suspended', 'stopped']),
  stateReason: z.string(),
  lastError: z.string().nullable(),
  connectedSinceMs: z.number().nullable(),
  reconnects: z.number().int(),
  received: z.number().int(),
  bytes: z.number().int(),
  rejected: z.number().int(),
  warning: z.string().nullable(),
  heartbeat: z.object({
    reason: z.string(),
    intervalSec: z.number(),
    lastRttMs: z.number().nullable(),
    lastHour: z.number().int(),
    lastDetectionMs: z.number().nullable(),
  }),
});
export type UiConnectionStatus = z.infer<typeof connectionStatusSchema>;

/** Calls from the UI to the core: arguments and result of each. */
export const methods = {
  listMessages: {
    args: z
      .object({
        beforeSeq: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(500),
      })
      .strict(),
    result: z.object({ messages: z.array(messageSchema) }),
  },
  markRead: {
    args: z.object({ seq: z.number().int().positive() }).strict(),
    result: z.object({
      message: messageSchema,
      receipt: z.enum(['sent', 'pending', 'not-configured', 'already-read']),
    }),
  },
  searchMessages: {
    args: z
      .object({
        text: z.string().max(500).optional(),
        channel: z.string().min(1).max(100).optional(),
        minPriority: z.number().int().min(1).max(5).optional(),
        sinceMs: z.number().int().nonnegative().optional(),
        untilMs: z.number().int().nonnegative().optional(),
        unreadOnly: z.boolean().optional(),
        beforeSeq: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(500),
      })
      .strict(),
    result: z.object({
      messages: z.array(messageSchema),
      /** The words to highlight in the results. */
      terms: z.array(z.string()),
      nextBeforeSeq: z.number().int().nullable(),
    }),
  },
  channelCounts: {
    args: z.object({}).strict(),
    result: z.object({
      channels: z.array(z.object({ channel: z.string(), unread: z.number().int(), total: z.number().int() })),
    }),
  },
  markChannelRead: {
    args: z.object({ channel: z.string().min(1).max(100) }).strict(),
    result: z.object({ marked: z.number().int(), receipts: z.number().int() }),
  },
  acknowledge: {
    args: z.object({ seq: z.number().int().positive() }).strict(),
    result: z.object({
      message: messageSchema,
      receipt: z.enum(['sent', 'pending', 'not-configured', 'already-read']),
    }),
  },
  chooseAction: {
    args: z.object({ seq: z.number().int().positive(), actionId: z.string().min(1).max(80) }).strict(),
    result: z.object({ ok: z.literal(true) }),
  },
  pauseNotifications: {
    args: z.object({ minutes: z.number().int().min(1).max(24 * 60).optional() }).strict(),
    result: z.object({ pausedUntilMs: z.number() }),
  },
  resumeNotifications: {
    args: z.object({}).strict(),
    result: z.object({ pausedUntilMs: z.null() }),
  },
  exportMessages: {
    args: z
      .object({
        format: z.enum(['jsonl', 'csv']),
        channel: z.string().min(1).max(100).optional(),
        sinceMs: z.number().int().nonnegative().optional(),
      })
      .strict(),
    /** Headless: a download address on the bridge. Desktop: the file the person chose and the count. */
    result: z.object({ href: z.string().nullable(), path: z.string().nullable(), count: z.number().int().nullable() }),
  },
  getStatus: {
    args: z.object({}).strict(),
    result: z.object({
      deviceId: z.string(),
      connections: z.array(connectionStatusSchema),
      /** Set when the message store was found damaged at start and replaced: what happened, in words. */
      storeNotice: z.string().nullable(),
      /** Until when pop-ups are paused (epoch ms), or null. */
      pausedUntilMs: z.number().nullable(),
      /** The managed policy: its file, the settings it locks, and why it was not applied if it was invalid. */
      policy: z.object({ source: z.string().nullable(), locked: z.array(z.string()), error: z.string().nullable() }),
    }),
  },
} as const;

/** Events from the core to the UI. */
export const events = {
  messagesAdded: z.object({ messages: z.array(messageSchema) }),
  messageUpdated: z.object({ message: messageSchema }),
  messagesRemoved: z.object({ seqs: z.array(z.number().int().positive()) }),
  connectionChanged: z.object({ connection: connectionStatusSchema }),
  /** The person clicked a notification: show this message. */
  openMessage: z.object({ seq: z.number().int().positive() }),
} as const;

export type MethodName = keyof typeof methods;
export type EventName = keyof typeof events;
export type MethodArgs<M extends MethodName> = z.input<(typeof methods)[M]['args']>;
export type MethodResult<M extends MethodName> = z.output<(typeof methods)[M]['result']>;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

/** Whether a string names a method of the contract (own keys only: `__proto__` is not a method). */
export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name);
}

/** Whether a string names an event of the contract. */
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/**
 * A call's failure as it crosses the contract: a code the UI can branch on and words for a person.
 */
export const callErrorSchema = z.object({
  code: z.enum(['unknown-method', 'invalid-arguments', 'failed']),
  message: z.string(),
});
export type CallError = z.infer<typeof callErrorSchema>;

/**
 * Frames of the headless bridge's WebSocket, in each direction.
 */
export const clientFrameSchema = z.object({
  type: z.literal('call'),
  id: z.number().int().nonnegative(),
  method: z.string().max(64),
  args: z.unknown(),
});
export type ClientFrame = z.infer<typeof clientFrameSchema>;

export const serverFrameSchema = z.union([
  z.object({ type: z.literal('result'), id: z.number().int(), ok: z.literal(true), value: z.unknown() }),
  z.object({ type: z.literal('result'), id: z.number().int(), ok: z.literal(false), error: callErrorSchema }),
  z.object({ type: z.literal('event'), name: z.string(), payload: z.unknown() }),
]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;

