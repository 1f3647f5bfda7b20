import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../electron/core/logger.ts';
import type { StoredMessage } from '../../electron/core/message/message.ts';
import { BACKLOG_MAX_MS, BACKLOG_QUIET_MS, NotificationCenter } from '../../electron/core/notify/notification-center.ts';
import type { NotificationRequest } from '../../electron/core/notify/notifier.ts';
import { notificationRulesSchema } from '../../electron/core/notify/rules/rule-settings.ts';

let seq = 0;
const all = new Map<number, StoredMessage>();
const stored = (connectionId = 'ops', over: Partial<StoredMessage> = {}): StoredMessage => {
  seq += 1;
  const message: StoredMessage = {
    seq,
    id: `m${seq}`,
    title: `event ${seq}`,
    body: '',
    priority: 3,
    tags: [],
    click: undefined,
    sentAtMs: undefined,
    connectionId,
    channel: 'Ops',
    topic: 'ops/x',
    retained: false,
    receivedAtMs: Date.now(),
    readAtMs: undefined,
    ...over,
  };
  all.set(seq, message);
  return message;
};

describe('the backlog window of the notification center', () => {
  let shown: NotificationRequest[];
  let center: NotificationCenter;

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2025-06-11T07:00:00Z') });
    shown = [];
    seq = 0;
    all.clear();
    center = new NotificationCenter({
      notifier: { show: (request) => void shown.push(request) },
      settings: notificationRulesSchema.parse({ storm: { enabled: false } }),
      logger: silentLogger,
      host: { displayed() {}, clicked() {}, chose() {}, message: (s) => all.get(s) },
      timeZone: 'UTC',
    });
  });

  afterEach(() => {
    center.stop();
    vi.useRealTimers();
  });

  const digests = (): NotificationRequest[] => shown.filter((n) => n.tag === 'digest');

  it('ends BACKLOG_QUIET_MS after the last message of the backlog, to the millisecond', () => {
    center.connected('ops');
    for (let i = 0; i < 5; i++) {
      center.messages([stored()]);
      vi.advanceTimersByTime(BACKLOG_QUIET_MS - 1);
    }
    center.messages([stored(), stored()]);
    expect(shown).toEqual([]);
    vi.advanceTimersByTime(BACKLOG_QUIET_MS - 1);
    expect(digests()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(digests().map((n) => n.title)).toEqual(['7 messages while you were away']);
    // What comes next is live.
    center.messages([stored()]);
    expect(shown.at(-1)?.title).toBe('event 8');
  });

  it('ends BACKLOG_MAX_MS after connecting even while messages keep coming', () => {
    center.connected('ops');
    let elapsed = 0;
    while (digests().length === 0) {
      center.messages([stored()]);
      vi.advanceTimersByTime(500);
      elapsed += 500;
    }
    expect(elapsed).toBe(BACKLOG_MAX_MS);
  });

  it('ends a window that saw no message after BACKLOG_QUIET_MS, and a reconnect opens a fresh one', () => {
    center.connected('ops');
    vi.advanceTimersByTime(BACKLOG_QUIET_MS);
    center.messages([stored()]);
    expect(shown.map((n) => n.title)).toEqual(['event 1']);
    center.connected('ops');
    vi.advanceTimersByTime(BACKLOG_QUIET_MS - 1);
    center.connected('ops'); // connecting again restarts the quiet time
    center.messages([stored(), stored(), stored()]);
    vi.advanceTimersByTime(BACKLOG_QUIET_MS - 1);
    expect(digests()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(digests().map((n) => n.title)).toEqual(['3 messages while you were away']);
  });

  it('waits for the last of several connections before the digest', () => {
    center.connected('a');
    center.connected('b');
    center.messages([stored('a'), stored('b'), stored('a')]);
    vi.advanceTimersByTime(1000);
    center.messages([stored('b')]);
    vi.advanceTimersByTime(BACKLOG_QUIET_MS - 1000);
    expect(digests()).toEqual([]); // a's window ended, b's goes on
    vi.advanceTimersByTime(1000);
    expect(digests().map((n) => n.title)).toEqual(['4 messages while you were away']);
  });

  it('shows nothing after stop', () => {
    center.connected('ops');
    center.messages([stored(), stored(), stored()]);
    center.stop();
    vi.advanceTimersByTime(BACKLOG_MAX_MS);
    expect(shown).toEqual([]);
  });

  it('keeps the repeat interval a message asked for in extra when it holds or shows it', () => {
    center.messages([stored('ops', { requiresAck: true, extra: { ackRepeatSec: 45 } })]);
    expect(shown.map((n) => n.title)).toEqual(['event 1']);
    vi.advanceTimersByTime(44_999);
    expect(shown).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(shown.map((n) => [n.title, n.replace])).toEqual([
      ['event 1', false],
      ['event 1', true],
    ]);
  });
});
