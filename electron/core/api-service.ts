import { issueMessage } from './config/config-schema.ts';
import type { z } from 'zod';
import {
  methods,
  type CallError,
  type EventName,
  type EventPayload,
  type MethodName,
  type MethodResult,
  type UiConnectionStatus,
  type UiMessage,
  isMethodName,
} from '../api/contract.ts';
import { FieldErrors, LockedError } from './config/connection-input.ts';
import { describeIssues } from './config/load-config.ts';
import type { Hub } from './hub.ts';
import type { StoredMessage } from './message/message.ts';
import { messageActions } from './notify/notification-center.ts';
import type { ConnectionStatus } from './sources/connection-status.ts';

/** Converts a stored message to the contract's shape. */
export function toUiMessage(m: StoredMessage): UiMessage {
  return {
    seq: m.seq,
    id: m.id,
    connectionId: m.connectionId,
    channel: m.channel,
    topic: m.topic,
    title: m.title,
    body: m.body,
    priority: m.priority,
    tags: [...m.tags],
    click: m.click ?? null,
    retained: m.retained,
    receivedAtMs: m.receivedAtMs,
    readAtMs: m.readAtMs ?? null,
    requiresAck: m.requiresAck === true,
    acknowledgedAtMs: m.acknowledgedAtMs ?? null,
    actions: [
      ...messageActions(m).map((a, i) => ({ id: `${a.action}:${i}`, label: a.label, kind: a.action, url: a.url })),
      ...(m.requiresAck ? [{ id: 'acknowledge', label: 'Acknowledge', kind: 'acknowledge' as const, url: null }] : []),
    ],
  };
}

/** Arguments of an export, as the contract gives them. */
export type ExportRequest = z.output<(typeof methods)['exportMessages']['args']>;

/** How a shell exports history: a download address (headless) or a file the person chose (desktop). */
export type Exporter = (request: ExportRequest) => Promise<MethodResult<'exportMessages'>>;

/** Converts a connection status to the contract's shape. */
export function toUiStatus(s: ConnectionStatus): UiConnectionStatus {
  return {
    ...s,
    retryInSec: s.retryInSec ?? null,
    attempt: s.attempt ?? null,
    lastError: s.lastError ?? null,
    connectedSinceMs: s.connectedSinceMs ?? null,
    warning: s.warning ?? null,
    heartbeat: {
      ...s.heartbeat,
      profile: s.heartbeat.profile ?? null,
      serverAskedSec: s.heartbeat.serverAskedSec ?? null,
      lastRttMs: s.heartbeat.lastRttMs ?? null,
      lastDetectionMs: s.heartbeat.lastDetectionMs ?? null,
    },
  };
}

/** What a shell adds to the contract beyond the hub (see ApiService). */
export interface ShellHooks {
  readonly exporter?: Exporter;
  /** The diagnostics bundle: headless returns a download href, desktop asks where to save and writes it. */
  readonly diagnosticsExporter?: () => Promise<{ href: string | null; path: string | null }>;
  /** Start at login, where the shell can (the desktop); absent in the headless hub. */
  readonly startAtLogin?: { get(): boolean; set(enabled: boolean): void };
}

/** The outcome of one call, ready to send back. */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: CallError };

type Implementations = { [M in MethodName]: (args: z.output<(typeof methods)[M]['args']>) => Promise<MethodResult<M>> | MethodResult<M> };

/**
 * Serves the UI contract on a hub: both shells pass every call through `call`.
 *
 * Arguments are validated against the contract's schemas before the hub sees them; an unknown method
 * or invalid arguments come back as an error naming the field, never as an exception.
 */
export class ApiService {
  readonly #impl: Implementations;

  constructor(hub: Hub, options: ShellHooks = {}) {
    if (options.startAtLogin) hub.setStartAtLogin(options.startAtLogin);
    this.#impl = {
      listMessages: (args) => ({
        messages: hub.listMessages({ beforeSeq: args.beforeSeq, limit: args.limit }).map(toUiMessage),
      }),
      markRead: async (args) => {
        const { message, receipt } = await hub.markRead(args.seq);
        return { message: toUiMessage(message), receipt };
      },
      markUnread: (args) => ({ message: toUiMessage(hub.markUnread(args.seq)) }),
      searchMessages: (args) => {
        const result = hub.search(args);
        return { messages: result.messages.map(toUiMessage), terms: [...result.terms], nextBeforeSeq: result.nextBeforeSeq ?? null };
      },
      channelCounts: () => ({ channels: hub.channelCounts() }),
      markChannelRead: (args) => hub.markChannelRead(args.channel),
      acknowledge: async (args) => {
        const { message, receipt } = await hub.acknowledge(args.seq);
        return { message: toUiMessage(message), receipt };
      },
      chooseAction: (args) => {
        hub.chooseNotificationAction(args.seq, args.actionId);
        return { ok: true as const };
      },
      pauseNotifications: (args) => ({ pausedUntilMs: hub.pauseNotifications(args.minutes === undefined ? undefined : args.minutes * 60_000) }),
      resumeNotifications: () => {
        hub.resumeNotifications();
        return { pausedUntilMs: null };
      },
      exportMessages: (args) => {
        if (!options.exporter) throw new Error('this shell offers no export');
        return options.exporter(args);
      },
      getSettings: () => hub.settings(),
      updateSettings: (args) => hub.updateSettings(args.patch),
      listChannels: () => ({ channels: hub.channels() }),
      setSubscribed: async (args) => ({ channel: await hub.setSubscribed(args.connectionId, args.topic, args.subscribed) }),
      setChannelRule: (args) => {
        const { channel, ...change } = args;
        return { rule: hub.setChannelRule(channel, change) };
      },
      listConnections: () => ({ connections: hub.connectionViews() }),
      saveConnection: async (args) => ({ connection: await hub.saveConnection(args.connection, args.replaceId) }),
      removeConnection: async (args) => {
        await hub.removeConnection(args.id);
        return { removed: true as const };
      },
      testConnection: (args) => hub.testConnection(args.connection),
      exportDiagnostics: () => {
        if (!options.diagnosticsExporter) throw new Error('this shell offers no diagnostics bundle');
        return options.diagnosticsExporter();
      },
      getStatus: () => ({
        deviceId: hub.deviceId,
        connections: hub.connectionStatuses().map(toUiStatus),
        storeNotice: hub.storeRecovered
          ? `The message history was damaged and a new one was started; the damaged file was kept as ${hub.storeRecovered.movedTo}.`
          : null,
        pausedUntilMs: hub.notificationsPausedUntilMs ?? null,
        policy: { source: hub.policy.source ?? null, locked: [...hub.policy.locked], error: hub.policy.error ?? null },
      }),
    };
  }

  /** Validates and runs one call. */
  async call(method: unknown, rawArgs: unknown): Promise<CallOutcome> {
    if (!isMethodName(method)) {
      const shown = typeof method === 'string' ? JSON.stringify(method).slice(0, 80) : `of type ${typeof method}`;
      return { ok: false, error: { code: 'unknown-method', message: `unknown method ${shown}` } };
    }
    const parsed = methods[method].args.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          code: 'invalid-arguments',
          message: `${method}: ${describeIssues(parsed.error.issues).join('; ')}`,
          fields: parsed.error.issues.map((issue) => ({
            path: issue.path.map(String).join('.'),
            message: issueMessage(issue),
          })),
        },
      };
    }
    try {
      const impl = this.#impl[method] as (args: unknown) => unknown;
      return { ok: true, value: await impl(parsed.data) };
    } catch (error) {
      if (error instanceof FieldErrors) {
        return { ok: false, error: { code: 'invalid-arguments', message: `${method}: ${error.message}`, fields: [...error.fields] } };
      }
      if (error instanceof LockedError) return { ok: false, error: { code: 'locked', message: error.message } };
      return { ok: false, error: { code: 'failed', message: `${method}: ${(error as Error).message}` } };
    }
  }
}

/**
 * Subscribes to the hub's events in the contract's shape; returns a function that unsubscribes.
 */
export function forwardHubEvents(
  hub: Hub,
  send: <E extends EventName>(name: E, payload: EventPayload<E>) => void,
): () => void {
  const offs = [
    hub.on('messagesAdded', (messages) => send('messagesAdded', { messages: messages.map(toUiMessage) })),
    hub.on('messageUpdated', (message) => send('messageUpdated', { message: toUiMessage(message) })),
    hub.on('messagesRemoved', (seqs) => send('messagesRemoved', { seqs })),
    hub.on('connectionChanged', (status) => send('connectionChanged', { connection: toUiStatus(status) })),
    hub.on('openMessage', (seq) => send('openMessage', { seq })),
    hub.on('settingsChanged', (view) => send('settingsChanged', view)),
    hub.on('channelsChanged', () => send('channelsChanged', {})),
    hub.on('connectionsChanged', () => send('connectionsChanged', {})),
    hub.on('connectionProposed', (proposal) => send('connectionProposed', proposal)),
  ];
  return () => offs.forEach((off) => off());
}
