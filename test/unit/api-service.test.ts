import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectionStatusSchema, methods, type EventName, type EventPayload } from '../../electron/api/contract.ts';
import { ApiService, forwardHubEvents, toUiStatus, type CallOutcome } from '../../electron/core/api-service.ts';
import type { Config } from '../../electron/core/config/config-schema.ts';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import type { NotificationRequest, Notifier } from '../../electron/core/notify/notifier.ts';
import { MessageStore, type NewMessage } from '../../electron/core/store/message-store.ts';

/** A connection that is never started: nothing listens on port 1. */
function config(extra: { deviceId?: string; receipts?: boolean } = {}): Config {
  return parseConfig({
    ...(extra.deviceId === undefined ? {} : { deviceId: extra.deviceId }),
    connections: [
      {
        id: 'plant',
        url: 'mqtt://user:secret@127.0.0.1:1',
        subscriptions: [{ topic: 'alerts/#', channel: 'Plant alarms' }],
        ...(extra.receipts ? { receipts: { topic: 'receipts/{device}/{channel}' } } : {}),
      },
    ],
  });
}

function stored(id: string, overrides: Partial<NewMessage['message']> = {}): NewMessage {
  return {
    message: { id, title: `title ${id}`, body: `body ${id}`, priority: 3, tags: [], click: undefined, sentAtMs: undefined, ...overrides },
    origin: { connectionId: 'plant', channel: 'Plant alarms', topic: `alerts/${id}`, retained: false, receivedAtMs: 1_000 },
  };
}

function expectError(outcome: CallOutcome, code: string): string {
  if (outcome.ok) throw new Error(`expected a ${code} error, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error.code).toBe(code);
  return outcome.error.message;
}

function valueOf(outcome: CallOutcome): unknown {
  if (!outcome.ok) throw new Error(`call failed: ${outcome.error.code}: ${outcome.error.message}`);
  return outcome.value;
}

describe('ApiService on a hub that is not started', () => {
  let dir: string;
  let dataDir: string;
  let hubs: Hub[];
  let shown: NotificationRequest[];
  const notifier: Notifier = { show: (request) => shown.push(request) };

  const openHub = (cfg: Config = config({ deviceId: 'desk-1' })): Hub => {
    const hub = new Hub({ config: cfg, dataDir, notifier, logger: silentLogger, now: () => 5_000, env: {} });
    hubs.push(hub);
    return hub;
  };

  /** Writes messages straight into the store before the hub opens it. */
  const seed = (...messages: NewMessage[]): void => {
    const store = MessageStore.open(dataDir);
    try {
      store.insertBatch(messages);
    } finally {
      store.close();
    }
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-api-'));
    dataDir = join(dir, 'data');
    hubs = [];
    shown = [];
  });

  afterEach(async () => {
    for (const hub of hubs) await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a method name that cannot be turned into a string with unknown-method, not an exception', async () => {
    const api = new ApiService(openHub());
    expect(expectError(await api.call(Object.create(null), {}), 'unknown-method')).toBe('unknown method of type object');
  });

  it('answers the unknown method __proto__ with unknown-method', async () => {
    const api = new ApiService(openHub());
    const message = expectError(await api.call('__proto__', {}), 'unknown-method');
    expect(message).toBe('unknown method "__proto__"');
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', 'stop', ''])('answers the unknown method %j with unknown-method', async (name) => {
    const api = new ApiService(openHub());
    expectError(await api.call(name, {}), 'unknown-method');
  });

  it('answers a method name that is not a string with unknown-method', async () => {
    const api = new ApiService(openHub());
    expectError(await api.call(42, {}), 'unknown-method');
    expectError(await api.call(undefined, {}), 'unknown-method');
  });

  it('shortens a very long unknown method name in the error', async () => {
    const api = new ApiService(openHub());
    const message = expectError(await api.call('x'.repeat(10_000), {}), 'unknown-method');
    expect(message.length).toBeLessThan(120);
  });

  it('answers invalid arguments with invalid-arguments naming the method and field', async () => {
    const api = new ApiService(openHub());
    const message = expectError(await api.call('listMessages', { limit: 0 }), 'invalid-arguments');
    expect(message).toMatch(/^listMessages: limit: /);
  });

  it('names a missing required argument', async () => {
    const api = new ApiService(openHub());
    expect(expectError(await api.call('listMessages', {}), 'invalid-arguments')).toMatch(/^listMessages: limit: /);
    expect(expectError(await api.call('markRead', undefined), 'invalid-arguments')).toMatch(/^markRead: seq: /);
  });

  it('names an argument of the wrong type', async () => {
    const api = new ApiService(openHub());
    expect(expectError(await api.call('markRead', { seq: '1' }), 'invalid-arguments')).toMatch(/^markRead: seq: /);
    expect(expectError(await api.call('listMessages', { limit: 10, beforeSeq: -3 }), 'invalid-arguments')).toMatch(
      /^listMessages: beforeSeq: /,
    );
  });

  it('names unknown argument fields', async () => {
    const api = new ApiService(openHub());
    const message = expectError(await api.call('getStatus', { verbose: true }), 'invalid-arguments');
    expect(message).toBe('getStatus: (top level): unknown field(s) "verbose"');
  });

  it('rejects arguments that are not an object', async () => {
    const api = new ApiService(openHub());
    expect(expectError(await api.call('listMessages', 'limit=10'), 'invalid-arguments')).toMatch(/^listMessages: \(top level\): /);
  });

  it('lists no messages from an empty store', async () => {
    const api = new ApiService(openHub());
    expect(valueOf(await api.call('listMessages', { limit: 50 }))).toEqual({ messages: [] });
  });

  it('lists stored messages newest first in the contract shape, paging with beforeSeq', async () => {
    seed(stored('a'), stored('b', { click: 'https://example.com/b', tags: ['t'], priority: 5 }), stored('c'));
    const api = new ApiService(openHub());
    const first = methods.listMessages.result.parse(valueOf(await api.call('listMessages', { limit: 2 })));
    expect(first.messages.map((m) => m.id)).toEqual(['c', 'b']);
    expect(first.messages[1]).toEqual({
      seq: expect.any(Number),
      id: 'b',
      connectionId: 'plant',
      channel: 'Plant alarms',
      topic: 'alerts/b',
      title: 'title b',
      body: 'body b',
      priority: 5,
      tags: ['t'],
      click: 'https://example.com/b',
      retained: false,
      receivedAtMs: 1_000,
      readAtMs: null,
      requiresAck: false,
      acknowledgedAtMs: null,
      actions: [],
    });
    expect(first.messages[0]?.click).toBeNull();
    const next = methods.listMessages.result.parse(
      valueOf(await api.call('listMessages', { limit: 2, beforeSeq: first.messages[1]?.seq })),
    );
    expect(next.messages.map((m) => m.id)).toEqual(['a']);
  });

  it('getStatus returns the device id and the one connection, stopped, without credentials', async () => {
    const api = new ApiService(openHub());
    const status = methods.getStatus.result.parse(valueOf(await api.call('getStatus', {})));
    expect(status).toEqual({
      deviceId: 'desk-1',
      connections: [
        {
          id: 'plant',
          url: 'mqtt://127.0.0.1:1',
          state: 'stopped',
          stateReason: 'not started',
          stateCode: 'not-started',
          retryInSec: null,
          attempt: null,
          warning: null,
          bytes: 0,
          heartbeat: {
            intervalSec: 0,
            lastDetectionMs: null,
            lastHour: 0,
            lastRttMs: null,
            reason: '',
            profile: null,
            adaptive: false,
            critical: false,
            profileSec: 0,
            serverAskedSec: null,
          },
          lastError: null,
          connectedSinceMs: null,
          reconnects: 0,
          received: 0,
          rejected: 0,
        },
      ],
      storeNotice: null,
      pausedUntilMs: null,
      policy: { source: null, locked: [], error: null },
    });
    expect(JSON.stringify(status)).not.toContain('secret');
  });

  it('searches, counts per channel and marks a channel read through the contract', async () => {
    seed(stored('a'), stored('b', { body: 'pump pressure high' }), stored('c'));
    const hub = openHub();
    hub.indexAll();
    const api = new ApiService(hub);
    const found = methods.searchMessages.result.parse(valueOf(await api.call('searchMessages', { text: 'Pressure', limit: 10 })));
    expect(found.messages.map((m) => m.id)).toEqual(['b']);
    expect(found.terms).toEqual(['Pressure']);
    expect(found.nextBeforeSeq).toBeNull();
    const counts = methods.channelCounts.result.parse(valueOf(await api.call('channelCounts', {})));
    expect(counts.channels).toEqual([{ channel: 'Plant alarms', unread: 3, total: 3 }]);
    expect(valueOf(await api.call('markChannelRead', { channel: 'Plant alarms' }))).toEqual({ marked: 3, receipts: 0 });
    const after = methods.channelCounts.result.parse(valueOf(await api.call('channelCounts', {})));
    expect(after.channels).toEqual([{ channel: 'Plant alarms', unread: 0, total: 3 }]);
  });

  it('refuses a search with a priority out of range, naming the field', async () => {
    const api = new ApiService(openHub());
    const outcome = await api.call('searchMessages', { minPriority: 7, limit: 10 });
    expect(expectError(outcome, 'invalid-arguments')).toMatch(/^searchMessages: minPriority/);
  });

  it('answers an export with failed when the shell offers none, and passes it to the exporter otherwise', async () => {
    const bare = await new ApiService(openHub()).call('exportMessages', { format: 'csv' });
    expect(bare).toEqual({ ok: false, error: { code: 'failed', message: 'exportMessages: this shell offers no export' } });
    const requests: unknown[] = [];
    const api = new ApiService(openHub(), {
      exporter: (request) => {
        requests.push(request);
        return Promise.resolve({ href: '/export?format=csv', path: null, count: null });
      },
    });
    expect(valueOf(await api.call('exportMessages', { format: 'csv', channel: 'Plant alarms' }))).toEqual({
      href: '/export?format=csv',
      path: null,
      count: null,
    });
    expect(requests).toEqual([{ format: 'csv', channel: 'Plant alarms' }]);
  });

  it('pauses and resumes pop-ups, and getStatus says until when', async () => {
    const api = new ApiService(openHub());
    expect(valueOf(await api.call('pauseNotifications', { minutes: 30 }))).toEqual({ pausedUntilMs: 5_000 + 30 * 60_000 });
    expect(methods.getStatus.result.parse(valueOf(await api.call('getStatus', {}))).pausedUntilMs).toBe(5_000 + 30 * 60_000);
    expect(valueOf(await api.call('resumeNotifications', {}))).toEqual({ pausedUntilMs: null });
    expect(methods.getStatus.result.parse(valueOf(await api.call('getStatus', {}))).pausedUntilMs).toBeNull();
    expect(expectError(await api.call('pauseNotifications', { minutes: 0 }), 'invalid-arguments')).toMatch(/^pauseNotifications: minutes/);
  });

  it('lists the actions of a message and Acknowledge, and refuses an action of an unknown message', async () => {
    seed(
      stored('x', {
        requiresAck: true,
        extra: { actions: [{ action: 'view', label: 'Open', url: 'https://tickets.example/1', clear: false }] },
      }),
    );
    const api = new ApiService(openHub());
    const page = methods.listMessages.result.parse(valueOf(await api.call('listMessages', { limit: 5 })));
    expect(page.messages[0]?.actions).toEqual([
      { id: 'view:0', label: 'Open', kind: 'view', url: 'https://tickets.example/1' },
      { id: 'acknowledge', label: 'Acknowledge', kind: 'acknowledge', url: null },
    ]);
    expect(expectError(await api.call('chooseAction', { seq: 999, actionId: 'view:0' }), 'failed')).toBe('chooseAction: no message with seq 999');
  });

  it('getStatus accepts missing arguments', async () => {
    const api = new ApiService(openHub());
    expect(valueOf(await api.call('getStatus', undefined))).toMatchObject({ deviceId: 'desk-1' });
  });

  it('generates a device id when none is configured and keeps it across restarts', async () => {
    const first = openHub(config());
    const id = first.deviceId;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await first.stop();
    hubs = hubs.filter((h) => h !== first);
    const again = new ApiService(openHub(config()));
    expect(valueOf(await again.call('getStatus', {}))).toMatchObject({ deviceId: id });
  });

  it('answers markRead of an unknown seq with failed, naming the method', async () => {
    const api = new ApiService(openHub());
    const message = expectError(await api.call('markRead', { seq: 99 }), 'failed');
    expect(message).toBe('markRead: no message with seq 99');
  });

  it('marks a message read: not-configured without a receipt target, then already-read', async () => {
    seed(stored('a'));
    const hub = openHub();
    const api = new ApiService(hub);
    const updates: EventPayload<'messageUpdated'>[] = [];
    const off = forwardHubEvents(hub, <E extends EventName>(name: E, payload: EventPayload<E>) => {
      if (name === 'messageUpdated') updates.push(payload as EventPayload<'messageUpdated'>);
    });
    const [listed] = methods.listMessages.result.parse(valueOf(await api.call('listMessages', { limit: 1 }))).messages;
    const seq = listed?.seq ?? -1;

    const first = methods.markRead.result.parse(valueOf(await api.call('markRead', { seq })));
    expect(first.receipt).toBe('not-configured');
    expect(first.message.readAtMs).toBe(5_000);

    const second = methods.markRead.result.parse(valueOf(await api.call('markRead', { seq })));
    expect(second.receipt).toBe('already-read');
    expect(second.message.readAtMs).toBe(5_000);

    expect(updates).toHaveLength(1);
    expect(updates[0]?.message.seq).toBe(seq);
    off();
    expect(shown).toEqual([]);
  });

  it('answers pending when a receipt cannot be published because the connection is not started', async () => {
    seed(stored('a'));
    const hub = openHub(config({ deviceId: 'desk-1', receipts: true }));
    const api = new ApiService(hub);
    const [listed] = hub.listMessages({ limit: 1 });
    const result = methods.markRead.result.parse(valueOf(await api.call('markRead', { seq: listed?.seq ?? -1 })));
    expect(result.receipt).toBe('pending');
    expect(result.message.readAtMs).toBe(5_000);
  });
});

describe('toUiStatus', () => {
  it('carries the state code, its numbers and the heartbeat fields through the contract, beside the English words', () => {
    const ui = toUiStatus({
      id: 'plant',
      url: 'mqtt://broker.example:1883/',
      state: 'reconnecting',
      stateReason: 'connection refused; retrying in 3.2 s (attempt 4)',
      stateCode: 'reconnecting-in',
      retryInSec: 3.2,
      attempt: 4,
      lastError: 'connection refused',
      connectedSinceMs: undefined,
      reconnects: 3,
      received: 0,
      bytes: 0,
      rejected: 0,
      warning: undefined,
      heartbeat: {
        reason: 'low battery but a critical channel: battery, adaptive, 180 s; the server asks for 60 s',
        intervalSec: 60,
        profile: 'low-battery',
        adaptive: true,
        critical: true,
        profileSec: 180,
        serverAskedSec: 60,
        lastRttMs: undefined,
        lastHour: 2,
        lastDetectionMs: undefined,
      },
    });
    expect(connectionStatusSchema.parse(ui)).toEqual(ui);
    expect(ui).toMatchObject({ stateCode: 'reconnecting-in', retryInSec: 3.2, attempt: 4, lastError: 'connection refused' });
    expect(ui.heartbeat).toMatchObject({ profile: 'low-battery', adaptive: true, critical: true, profileSec: 180, serverAskedSec: 60 });
  });

  it('sends null for the numbers and the profile a status does not have', () => {
    const ui = toUiStatus({
      id: 'plant',
      url: 'mqtt://broker.example:1883/',
      state: 'connected',
      stateReason: 'connected',
      stateCode: 'connected',
      retryInSec: undefined,
      attempt: undefined,
      lastError: undefined,
      connectedSinceMs: 1,
      reconnects: 0,
      received: 0,
      bytes: 0,
      rejected: 0,
      warning: undefined,
      heartbeat: {
        reason: 'AC power, 30 s; the broker asks for 20 s, and more',
        intervalSec: 30,
        profile: undefined,
        adaptive: false,
        critical: false,
        profileSec: 0,
        serverAskedSec: undefined,
        lastRttMs: 4,
        lastHour: 2,
        lastDetectionMs: undefined,
      },
    });
    expect(connectionStatusSchema.parse(ui)).toEqual(ui);
    expect(ui).toMatchObject({ retryInSec: null, attempt: null });
    expect(ui.heartbeat).toMatchObject({ profile: null, serverAskedSec: null });
  });
});
