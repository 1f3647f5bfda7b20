import { describe, expect, it } from 'vitest';
import type { RuleMessage } from '../../electron/core/notify/rules/decide-notification.ts';
import { NotificationRules, type NotificationEffect } from '../../electron/core/notify/rules/notification-rules.ts';
import { notificationRulesSchema, stormSchema } from '../../electron/core/notify/rules/rule-settings.ts';
import { StormControl } from '../../electron/core/notify/rules/storm-control.ts';
import { TokenBucket } from '../../electron/core/notify/rules/token-bucket.ts';

function fakeClock(startIso = '2025-06-11T12:00:00Z') {
  const clock = { nowMs: Date.parse(startIso), now: () => clock.nowMs, advance: (ms: number) => (clock.nowMs += ms) };
  return clock;
}

describe('TokenBucket', () => {
  it('starts full, empties one token per take, and refills continuously up to its capacity', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 3, refillPerMinute: 10, now: clock.now });
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    clock.advance(5_999);
    expect(bucket.take()).toBe(false);
    // 10 a minute is one every 6 s.
    clock.advance(1);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    clock.advance(10 * 60_000);
    expect(bucket.tokens).toBe(3);
  });

  it('gains nothing when the clock goes backwards', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ capacity: 1, refillPerMinute: 60, now: clock.now });
    bucket.take();
    clock.advance(-60_000);
    expect(bucket.available).toBe(false);
    clock.advance(60_000);
    expect(bucket.available).toBe(false);
    clock.advance(1_000);
    expect(bucket.available).toBe(true);
  });
});

describe('StormControl', () => {
  const settings = stormSchema.parse({ channelBurst: 5, channelPerMinute: 10, globalBurst: 8, globalPerMinute: 30, stormEndSec: 60 });

  it('lets a channel burst through, then counts the rest into one summary that grows', () => {
    const clock = fakeClock();
    const storm = new StormControl(settings, clock.now);
    const verdicts = Array.from({ length: 19 }, () => storm.admit('Build failures'));
    expect(verdicts.slice(0, 5).map((v) => v.kind)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(verdicts[5]).toMatchObject({ kind: 'coalesce', count: 1, text: '1 new in Build failures', opened: true });
    expect(verdicts[5]?.reason).toBe('storm control: over the limit of "Build failures" (5 at once, 10 a minute); 1 new in Build failures');
    expect(verdicts[18]).toMatchObject({ kind: 'coalesce', count: 14, text: '14 new in Build failures', opened: false });
    expect(storm.summaryCount('Build failures')).toBe(14);
  });

  it('keeps buckets per channel, and a global bucket across channels', () => {
    const clock = fakeClock();
    const storm = new StormControl(settings, clock.now);
    for (let i = 0; i < 5; i++) expect(storm.admit('Builds').kind).toBe('pass');
    expect(storm.admit('Builds').kind).toBe('coalesce');
    // Deploys has its own channel bucket, but only 3 of the 8 global tokens are left.
    expect([storm.admit('Deploys'), storm.admit('Deploys'), storm.admit('Deploys')].map((v) => v.kind)).toEqual(['pass', 'pass', 'pass']);
    const fourth = storm.admit('Deploys');
    expect(fourth).toMatchObject({ kind: 'coalesce', text: '1 new in Deploys' });
    expect(fourth.reason).toContain('over the global limit (8 at once, 30 a minute)');
  });

  it('keeps counting while the storm goes on, even after the buckets refill, and ends it after a quiet spell', () => {
    const clock = fakeClock();
    const storm = new StormControl(settings, clock.now);
    for (let i = 0; i < 6; i++) storm.admit('Builds');
    // One message every 30 s for five minutes: the bucket would have refilled, but the storm is still on.
    for (let i = 0; i < 10; i++) {
      clock.advance(30_000);
      storm.admit('Builds');
    }
    expect(storm.summaryCount('Builds')).toBe(11);
    clock.advance(59_999);
    expect(storm.admit('Builds')).toMatchObject({ kind: 'coalesce', count: 12 });
    clock.advance(60_000);
    expect(storm.summaryCount('Builds')).toBeUndefined();
    expect(storm.admit('Builds').kind).toBe('pass');
    for (let i = 0; i < 4; i++) storm.admit('Builds');
    expect(storm.admit('Builds')).toMatchObject({ kind: 'coalesce', count: 1, opened: true });
  });

  it('refills over time: 30 s at 10 a minute lets 5 more pass', () => {
    const clock = fakeClock();
    const storm = new StormControl(settings, clock.now);
    for (let i = 0; i < 5; i++) storm.admit('Builds');
    clock.advance(30_000);
    const passed = Array.from({ length: 8 }, () => storm.admit('Builds')).filter((v) => v.kind === 'pass').length;
    expect(passed).toBe(5);
  });

  it('starts the count again when the user dismisses the summary', () => {
    const clock = fakeClock();
    const storm = new StormControl(settings, clock.now);
    for (let i = 0; i < 9; i++) storm.admit('Builds');
    storm.summaryDismissed('Builds');
    expect(storm.admit('Builds')).toMatchObject({ kind: 'coalesce', count: 1, text: '1 new in Builds' });
  });

  it('never coalesces exempt (urgent) notifications, and does nothing when switched off', () => {
    const clock = fakeClock();
    const storm = new StormControl(settings, clock.now);
    for (let i = 0; i < 8; i++) storm.admit('Builds');
    expect(storm.admit('Builds', { exempt: true }).kind).toBe('pass');
    const off = new StormControl({ ...settings, enabled: false }, clock.now);
    expect(Array.from({ length: 50 }, () => off.admit('Builds').kind).every((k) => k === 'pass')).toBe(true);
  });
});

describe('storm control in the rules engine', () => {
  const message = (seq: number, over: Partial<RuleMessage> = {}): RuleMessage => ({
    seq,
    connectionId: 'ci',
    channel: 'Build failures',
    title: `Build #${seq} failed`,
    body: '',
    priority: 3,
    tags: [],
    ...over,
  });

  it('turns a burst of 20 into 5 pop-ups and one summary updated to "15 new in Build failures"', () => {
    const clock = fakeClock();
    const engine = new NotificationRules({ settings: notificationRulesSchema.parse({}), now: clock.now, timeZone: 'Europe/Berlin' });
    const effects: NotificationEffect[] = [];
    for (let seq = 1; seq <= 20; seq++) {
      effects.push(engine.handle(message(seq)));
      clock.advance(50);
    }
    expect(effects.filter((e) => e.kind === 'show')).toHaveLength(5);
    const summaries = effects.filter((e) => e.kind === 'summary');
    expect(summaries.map((s) => s.count)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(new Set(summaries.map((s) => s.tag))).toEqual(new Set(['summary:Build failures']));
    expect(summaries[0]).toMatchObject({ title: '1 new in Build failures', replace: false, silent: false });
    expect(summaries.at(-1)).toMatchObject({ title: '15 new in Build failures', latest: 'Build #20 failed', replace: true, silent: true });
  });

  it('still shows urgent messages one by one in a storm', () => {
    const clock = fakeClock();
    const engine = new NotificationRules({ settings: notificationRulesSchema.parse({}), now: clock.now, timeZone: 'Europe/Berlin' });
    for (let seq = 1; seq <= 10; seq++) engine.handle(message(seq));
    expect(engine.handle(message(11, { priority: 5 }))).toMatchObject({ kind: 'show', urgency: 'critical', reason: expect.stringContaining('never coalesced') });
    expect(engine.handle(message(12)).kind).toBe('summary');
  });

  it('counts messages kept back by other rules nowhere: they are not pop-ups', () => {
    const clock = fakeClock();
    const engine = new NotificationRules({ settings: notificationRulesSchema.parse({}), now: clock.now, timeZone: 'Europe/Berlin' });
    for (let seq = 1; seq <= 30; seq++) expect(engine.handle(message(seq, { priority: 1 })).kind).toBe('none');
    expect(engine.handle(message(31)).kind).toBe('show');
  });

  it('starts a dismissed summary over at 1', () => {
    const clock = fakeClock();
    const engine = new NotificationRules({ settings: notificationRulesSchema.parse({}), now: clock.now, timeZone: 'Europe/Berlin' });
    for (let seq = 1; seq <= 8; seq++) engine.handle(message(seq));
    engine.dismissed('summary:Build failures');
    expect(engine.handle(message(9))).toMatchObject({ kind: 'summary', count: 1, title: '1 new in Build failures' });
  });
});
