import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../electron/core/config/load-config.ts';
import { Hub } from '../../electron/core/hub.ts';
import { silentLogger } from '../../electron/core/logger.ts';
import type { NotificationRequest, Notifier, NotifierEvent } from '../../electron/core/notify/notifier.ts';
import { MessageStore, type NewMessage } from '../../electron/core/store/message-store.ts';
import type { PolicyOutcome } from '../../electron/core/config/policy.ts';

/** A notifier that records what it shows and lets a test play the person. */
class ScriptedNotifier implements Notifier {
  readonly shown: NotificationRequest[] = [];
  readonly withdrawn: string[] = [];
  #listener: ((event: NotifierEvent) => void) | undefined;
  show(request: NotificationRequest): void {
    this.shown.push(request);
  }
  withdraw(tag: string): void {
    this.withdrawn.push(tag);
  }
  onEvent(listener: (event: NotifierEvent) => void): void {
    this.#listener = listener;
  }
  act(event: NotifierEvent): void {
    this.#listener?.(event);
  }
}

function message(id: string, overrides: Partial<NewMessage['message']> = {}): NewMessage {
  return {
    message: { id, title: `title ${id}`, body: `body ${id}`, priority: 3, tags: [], click: undefined, sentAtMs: undefined, ...overrides },
    origin: { connectionId: 'plant', channel: 'Alarms', topic: `alarms/${id}`, retained: false, receivedAtMs: 1_000 },
  };
}

describe('the hub and the notification rules', () => {
  let dir: string;
  let hubs: Hub[];
  let notifier: ScriptedNotifier;
  let now: number;
  let posted: string[];

  const seed = (...items: NewMessage[]): void => {
    const store = MessageStore.open(dir);
    try {
      store.insertBatch(items);
    } finally {
      store.close();
    }
  };

  const openHub = (notifications: unknown = {}, policy?: PolicyOutcome): Hub => {
    const config = parseConfig({
      deviceId: 'desk',
      notifications,
      connections: [{ id: 'plant', url: 'mqtt://127.0.0.1:1', reconnect: { baseMs: 60_000, capMs: 60_000 }, subscriptions: [{ topic: 'alarms/#', channel: 'Alarms' }] }],
    });
    const hub = new Hub({
      config,
      dataDir: dir,
      notifier,
      logger: silentLogger,
      now: () => now,
      timeZone: 'UTC',
      ...(policy ? { policy } : {}),
      httpAction: (url) => {
        posted.push(url);
        return Promise.resolve({ status: 204 });
      },
    });
    hubs.push(hub);
    return hub;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushdesk-hub-notify-'));
    hubs = [];
    notifier = new ScriptedNotifier();
    now = Date.UTC(2026, 10, 22, 12);
    posted = [];
  });

  afterEach(async () => {
    for (const hub of hubs) await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows an alert still waiting for acknowledgement again after a restart, sticky and critical, with Acknowledge', async () => {
    seed(message('done', { requiresAck: true }), message('waiting', { requiresAck: true, priority: 5 }), message('plain'));
    const first = openHub();
    first.start();
    const done = first.listMessages({ limit: 10 }).find((m) => m.id === 'done');
    await first.acknowledge(done?.seq as number);
    await first.stop();
    notifier.shown.length = 0;
    openHub().start();
    expect(notifier.shown.map((n) => n.title)).toEqual(['title waiting']);
    expect(notifier.shown[0]).toMatchObject({ urgency: 'critical', sticky: true, actions: [{ id: 'acknowledge', label: 'Acknowledge' }] });
  });

  it('opens and marks read a clicked message, and withdraws an acknowledged alert', async () => {
    seed(message('a'), message('b', { requiresAck: true }));
    const hub = openHub();
    const opened: number[] = [];
    hub.on('openMessage', (seq) => opened.push(seq));
    hub.start();
    const [b, a] = hub.listMessages({ limit: 10 });
    notifier.act({ kind: 'click', tag: 'x', seq: a?.seq as number });
    expect(opened).toEqual([a?.seq]);
    await expect.poll(() => hub.listMessages({ limit: 10 }).find((m) => m.id === 'a')?.readAtMs).toBe(now);
    notifier.act({ kind: 'action', tag: 'y', seq: b?.seq as number, actionId: 'acknowledge' });
    await expect.poll(() => hub.listMessages({ limit: 10 }).find((m) => m.id === 'b')?.acknowledgedAtMs).toBe(now);
    expect(notifier.withdrawn).toContain('seq:plant:b');
  });

  it('opens a view action only as its checked https link, and carries out an http action', () => {
    seed(
      message('v', {
        extra: {
          actions: [
            { action: 'view', label: 'Open', url: 'https://tickets.example/1', clear: false },
            { action: 'view', label: 'Sneaky', url: 'javascript:alert(1)', clear: false },
            { action: 'http', label: 'Silence', url: 'https://alarms.example/silence/1', clear: false },
          ],
        },
      }),
    );
    const hub = openHub();
    const links: string[] = [];
    hub.on('openLink', (url) => links.push(url));
    const seq = hub.listMessages({ limit: 1 })[0]?.seq as number;
    hub.chooseNotificationAction(seq, 'view:0');
    hub.chooseNotificationAction(seq, 'view:1');
    hub.chooseNotificationAction(seq, 'view:7');
    hub.chooseNotificationAction(seq, 'http:2');
    expect(links).toEqual(['https://tickets.example/1']);
    expect(posted).toEqual(['https://alarms.example/silence/1']);
    expect(() => hub.chooseNotificationAction(999, 'view:0')).toThrow('no message with seq 999');
  });

  it('keeps an urgent message quiet in quiet hours when the policy forbids the exception, over the person\u2019s setting', () => {
    const quietAllDay = { quietHours: { enabled: true, urgentBypass: true, windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '00:00' }] } };
    // An urgent alert still waiting for acknowledgement is shown again at start: the person's setting lets it
    // through quiet hours...
    seed(message('urgent', { priority: 5, requiresAck: true }));
    const allowed = openHub(quietAllDay);
    allowed.start();
    expect(notifier.shown.map((n) => n.title)).toEqual(['title urgent']);
    return allowed.stop().then(() => {
      // ...and the policy that forbids the exception keeps it back.
      notifier.shown.length = 0;
      openHub(quietAllDay, { source: '/etc/pushdesk/policy.json', locked: [], overridden: [], error: undefined, notifications: { urgentBypassesQuietHours: false } }).start();
      expect(notifier.shown).toEqual([]);
    });
  });

  it('switches quiet hours on and off from now on, unless the policy locks them', async () => {
    const quiet = { quietHours: { enabled: false, urgentBypass: false, windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '00:00' }] } };
    seed(message('a1', { requiresAck: true }), message('a2', { requiresAck: true }));
    const hub = openHub(quiet);
    await hub.setQuietHours(true);
    expect(hub.quietHoursEnabled).toBe(true);
    hub.start();
    // Both waiting alerts come back at start, and quiet hours keep them from popping up.
    expect(notifier.shown).toEqual([]);
    const locked = openHub(quiet, { source: 'p', locked: ['notifications.quietHours'], overridden: [], error: undefined });
    expect(locked.quietHoursLocked).toBe(true);
    await expect(locked.setQuietHours(true)).rejects.toThrow(/quiet hours are set by your organisation/i);
  });

  it('says which channels are muted now, and tells when pop-ups are paused and resumed', () => {
    const hub = openHub({ channels: { Builds: { muted: true }, Chat: { mutedUntilMs: now + 60_000 }, Old: { mutedUntilMs: now - 1 } } });
    expect([...hub.mutedChannels()].sort()).toEqual(['Builds', 'Chat']);
    const changes: (number | undefined)[] = [];
    hub.on('pauseChanged', (until) => changes.push(until));
    expect(hub.pauseNotifications()).toBe(now + 3_600_000);
    hub.resumeNotifications();
    expect(changes).toEqual([now + 3_600_000, undefined]);
  });
});

describe('a hub that cannot be built', () => {
  it('leaves the data directory unlocked and the store closed, so the next hub can open it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushdesk-hub-fail-'));
    try {
      const config = parseConfig({ connections: [{ id: 'c', url: 'mqtt://127.0.0.1:1', subscriptions: [{ topic: 't', channel: 'T' }] }] });
      const notifier: Notifier = { show: () => {} };
      expect(() => new Hub({ config, dataDir: dir, notifier, logger: silentLogger, timeZone: 'Mars/Olympus_Mons' })).toThrow(/unknown time zone "Mars\/Olympus_Mons"/);
      const hub = new Hub({ config, dataDir: dir, notifier, logger: silentLogger, timeZone: 'UTC' });
      void hub.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
