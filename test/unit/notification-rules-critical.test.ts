import { describe, expect, it } from 'vitest';
import { ackRepeatSec, CriticalAlerts } from '../../electron/core/notify/rules/critical-alerts.ts';
import type { RuleMessage } from '../../electron/core/notify/rules/decide-notification.ts';
import { NotificationRules, notificationTag, sequenceTag } from '../../electron/core/notify/rules/notification-rules.ts';
import { criticalSchema, notificationRulesSchema } from '../../electron/core/notify/rules/rule-settings.ts';

const alert = (over: Partial<RuleMessage> = {}): RuleMessage => ({
  seq: 7,
  connectionId: 'ops',
  channel: 'Ops',
  title: 'Server room temperature 41 °C',
  body: 'acknowledge in Pushdesk',
  priority: 4,
  tags: [],
  requiresAck: true,
  ackRepeatSec: 30,
  ...over,
});

function engineWith(input: Record<string, unknown> = {}, startIso = '2025-06-11T12:00:00Z') {
  const clock = { nowMs: Date.parse(startIso) };
  const engine = new NotificationRules({ settings: notificationRulesSchema.parse(input), now: () => clock.nowMs, timeZone: 'Europe/Berlin' });
  return { engine, clock };
}

describe('ackRepeatSec', () => {
  const settings = criticalSchema.parse({ defaultRepeatSec: 90 });

  it('takes what the message asks for, but never less than 30 s', () => {
    expect(ackRepeatSec(5, settings)).toBe(30);
    expect(ackRepeatSec(30, settings)).toBe(30);
    expect(ackRepeatSec(120, settings)).toBe(120);
    expect(ackRepeatSec(45.2, settings)).toBe(46);
  });

  it('uses the default when the message asks for nothing usable', () => {
    expect([undefined, 0, -5, Number.NaN, Number.POSITIVE_INFINITY].map((v) => ackRepeatSec(v, settings))).toEqual([90, 90, 90, 90, 90]);
  });
});

describe('CriticalAlerts', () => {
  it('repeats each alert on its own interval until acknowledged, collapsing missed repeats into one', () => {
    const clock = { nowMs: 0 };
    const alerts = new CriticalAlerts<string>(() => clock.nowMs);
    alerts.track('a', 30, 'A');
    alerts.track('b', 45, 'B');
    alerts.track('c', 10, 'C');
    expect(alerts.nextDueAtMs()).toBe(30_000);
    clock.nowMs = 29_999;
    expect(alerts.due()).toEqual([]);
    clock.nowMs = 30_000;
    expect(alerts.due().map((d) => d.tag).sort()).toEqual(['a', 'c']);
    expect(alerts.nextDueAtMs()).toBe(45_000);
    expect(alerts.acknowledge('b')).toBe(true);
    expect(alerts.acknowledge('b')).toBe(false);
    clock.nowMs = 10 * 60_000;
    expect(alerts.due()).toEqual([
      { tag: 'a', item: 'A', repeatSec: 30, repeats: 2 },
      { tag: 'c', item: 'C', repeatSec: 30, repeats: 2 },
    ]);
  });
});

describe('critical alerts in the rules engine', () => {
  it('shows the alert sticky and again every 30 s until it is acknowledged', () => {
    const { engine, clock } = engineWith();
    const start = clock.nowMs;
    const tag = notificationTag(alert());
    expect(engine.handle(alert())).toMatchObject({ kind: 'show', sticky: true, requiresAck: true, repeat: false, tag });
    expect(engine.nextRepeatAtMs()).toBe(start + 30_000);
    clock.nowMs = start + 29_999;
    expect(engine.dueRepeats()).toEqual([]);
    clock.nowMs = start + 30_000;
    expect(engine.dueRepeats()).toMatchObject([{ kind: 'show', tag, replace: true, repeat: true, reason: expect.stringContaining('repeat 1, not yet acknowledged') }]);
    expect(engine.nextRepeatAtMs()).toBe(start + 60_000);
    expect(engine.acknowledge(tag)).toBe(true);
    clock.nowMs = start + 120_000;
    expect(engine.dueRepeats()).toEqual([]);
    expect(engine.nextRepeatAtMs()).toBeUndefined();
  });

  it('keeps repeating after the user merely dismisses the notification', () => {
    const { engine, clock } = engineWith();
    engine.handle(alert({ ackRepeatSec: 60 }));
    engine.dismissed(notificationTag(alert()));
    clock.nowMs += 60_000;
    expect(engine.dueRepeats()).toHaveLength(1);
  });

  it('skips repeats that fall in quiet hours and resumes after them', () => {
    // Wednesday 21:59 in Berlin; quiet from 22:00.
    const { engine, clock } = engineWith({ quietHours: { enabled: true, windows: [{ days: ['wed'], start: '22:00', end: '07:00' }] } }, '2025-06-11T19:59:00Z');
    expect(engine.handle(alert({ ackRepeatSec: 60 })).kind).toBe('show');
    clock.nowMs += 60_000;
    expect(engine.dueRepeats()).toMatchObject([{ kind: 'none', reason: 'repeat 1 skipped: priority 4: quiet hours (wed 22:00-07:00)' }]);
    clock.nowMs = Date.parse('2025-06-12T05:00:00Z');
    expect(engine.dueRepeats()).toMatchObject([{ kind: 'show', repeat: true }]);
  });

  it('shows an alert that arrived in quiet hours once they are over, and repeats it until acknowledged', () => {
    const { engine, clock } = engineWith({ quietHours: { enabled: true, windows: [{ days: ['wed'], start: '22:00', end: '07:00' }] } }, '2025-06-11T20:30:00Z');
    const tag = notificationTag(alert());
    expect(engine.handle(alert({ ackRepeatSec: 60 }))).toMatchObject({ kind: 'none' });
    clock.nowMs += 60_000;
    expect(engine.dueRepeats()).toMatchObject([{ kind: 'none', reason: expect.stringContaining('quiet hours') }]);
    clock.nowMs = Date.parse('2025-06-12T05:00:30Z');
    expect(engine.dueRepeats()).toMatchObject([{ kind: 'show', tag, repeat: true }]);
    engine.acknowledge(tag);
    clock.nowMs += 600_000;
    expect(engine.dueRepeats()).toEqual([]);
  });

  it('does not keep an alert of a muted channel waiting', () => {
    const { engine, clock } = engineWith({ channels: { Ops: { muted: true } } });
    expect(engine.handle(alert({ channel: 'Ops' })).kind).toBe('none');
    clock.nowMs += 3_600_000;
    expect(engine.dueRepeats()).toEqual([]);
  });

  it('stops when the message is cleared or replaced by a version that needs no acknowledgement', () => {
    const { engine, clock } = engineWith();
    engine.handle(alert({ sequenceId: 'temp' }));
    engine.handle(alert({ seq: 8, sequenceId: 'temp', requiresAck: false, title: 'Temperature back to 22 °C' }));
    engine.handle(alert({ seq: 9, sequenceId: 'fan' }));
    expect(engine.withdraw(sequenceTag('ops', 'fan'), 'clear')).toMatchObject({ kind: 'withdraw', reason: 'message cleared' });
    clock.nowMs += 3_600_000;
    expect(engine.dueRepeats()).toEqual([]);
  });

  it('is not coalesced by storm control even in a storm', () => {
    const { engine } = engineWith({ storm: { channelBurst: 1 } });
    engine.handle(alert({ seq: 1, requiresAck: false }));
    expect(engine.handle(alert({ seq: 2, requiresAck: false })).kind).toBe('summary');
    expect(engine.handle(alert({ seq: 3 })).kind).toBe('show');
  });
});
