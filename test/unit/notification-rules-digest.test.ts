import { describe, expect, it } from 'vitest';
import type { RuleMessage } from '../../electron/core/notify/rules/decide-notification.ts';
import { NotificationRules, sequenceTag, type NotificationEffect } from '../../electron/core/notify/rules/notification-rules.ts';
import { digestText, OfflineDigest } from '../../electron/core/notify/rules/offline-digest.ts';
import { digestSchema, notificationRulesSchema } from '../../electron/core/notify/rules/rule-settings.ts';

const backlog = (seq: number, over: Partial<RuleMessage> = {}): RuleMessage => ({
  seq,
  connectionId: 'ops',
  channel: 'Ops',
  title: `event ${seq}`,
  body: '',
  priority: 3,
  tags: [],
  fromBacklog: true,
  ...over,
});

function engineWith(input: Record<string, unknown> = {}) {
  const clock = { nowMs: Date.parse('2025-06-11T07:00:00Z') };
  const engine = new NotificationRules({ settings: notificationRulesSchema.parse(input), now: () => clock.nowMs, timeZone: 'Europe/Berlin' });
  return { engine, clock };
}

describe('OfflineDigest', () => {
  it('words the summary with the count and the high-priority count', () => {
    expect(digestText(23, 3)).toBe('23 messages while you were away, 3 high priority');
    expect(digestText(1, 0)).toBe('1 message while you were away');
  });

  it('gives the held messages back one by one when the backlog is small', () => {
    const digest = new OfflineDigest<string>(digestSchema.parse({ minMessages: 3 }));
    digest.hold({ tag: 'a', priority: 3, silent: false, sound: false, item: 'a' });
    digest.hold({ tag: 'b', priority: 4, silent: false, sound: true, item: 'b' });
    expect(digest.close()).toMatchObject({ kind: 'release', items: ['a', 'b'] });
    expect(digest.close()).toEqual({ kind: 'empty' });
  });

  it('is silent only when every held message was, and sounds when one asked for sound', () => {
    const digest = new OfflineDigest<string>(digestSchema.parse({ minMessages: 2 }));
    digest.hold({ tag: 'a', priority: 2, silent: true, sound: false, item: 'a' });
    digest.hold({ tag: 'b', priority: 2, silent: true, sound: false, item: 'b' });
    expect(digest.close()).toMatchObject({ kind: 'digest', summary: { silent: true, sound: false } });
    digest.hold({ tag: 'a', priority: 2, silent: true, sound: false, item: 'a' });
    digest.hold({ tag: 'c', priority: 4, silent: false, sound: true, item: 'c' });
    expect(digest.close()).toMatchObject({ kind: 'digest', summary: { silent: false, sound: true } });
  });
});

describe('the offline digest in the rules engine', () => {
  it('turns a backlog of 23 into one summary, showing the urgent ones one by one', () => {
    const { engine } = engineWith();
    const priorities = [...Array<3>(20).fill(3), 4, 5, 5] as const;
    const effects = priorities.map((priority, i) => engine.handle(backlog(i + 1, { priority })));
    const shown = effects.filter((e) => e.kind === 'show');
    expect(shown.map((e) => e.seq)).toEqual([22, 23]);
    expect(effects.filter((e) => e.kind === 'none').every((e) => e.reason.includes('held for the offline digest'))).toBe(true);
    expect(engine.endBacklog()).toEqual([
      {
        kind: 'digest',
        tag: 'digest',
        count: 23,
        highPriority: 3,
        title: '23 messages while you were away, 3 high priority',
        urgency: 'normal',
        silent: false,
        sound: true,
        reason: 'offline digest of 23 backlog messages (2 shown on their own)',
      },
    ]);
  });

  it('counts only messages that would have popped up, and each message once however many versions came', () => {
    const { engine } = engineWith({ channels: { Noise: { muted: true } } });
    engine.handle(backlog(1, { channel: 'Noise' }));
    engine.handle(backlog(2, { priority: 1 }));
    engine.handle(backlog(3, { sequenceId: 'disk' }));
    engine.handle(backlog(4, { sequenceId: 'disk' }));
    engine.handle(backlog(5));
    engine.handle(backlog(6));
    expect(engine.endBacklog()).toMatchObject([{ kind: 'digest', count: 3, title: '3 messages while you were away' }]);
  });

  it('forgets a held message that is cleared before the backlog ends', () => {
    const { engine } = engineWith();
    for (let seq = 1; seq <= 3; seq++) engine.handle(backlog(seq, { sequenceId: `s${seq}` }));
    engine.withdraw(sequenceTag('ops', 's2'), 'clear');
    // Two left, fewer than 3: shown one by one, through storm control.
    const released = engine.endBacklog();
    expect(released.map((e) => (e.kind === 'show' ? e.seq : e.kind))).toEqual([1, 3]);
    expect(released[0]?.reason).toContain('backlog of 2, fewer than 3: shown one by one');
  });

  it('shows live messages normally once the backlog has ended', () => {
    const { engine } = engineWith();
    for (let seq = 1; seq <= 5; seq++) engine.handle(backlog(seq));
    expect(engine.endBacklog()).toHaveLength(1);
    expect(engine.endBacklog()).toEqual([]);
    expect(engine.handle(backlog(6, { fromBacklog: false })).kind).toBe('show');
  });

  it('takes new digest settings from the next backlog on', () => {
    const { engine } = engineWith();
    for (let seq = 1; seq <= 4; seq++) engine.handle(backlog(seq));
    engine.update(notificationRulesSchema.parse({ digest: { minMessages: 10 } }));
    expect(engine.endBacklog().map((e) => e.kind)).toEqual(['digest']);
    for (let seq = 5; seq <= 8; seq++) engine.handle(backlog(seq));
    expect(engine.endBacklog().map((e) => e.kind)).toEqual(['show', 'show', 'show', 'show']);
  });

  it('with the digest off, lets a backlog through storm control instead', () => {
    const { engine } = engineWith({ digest: { enabled: false } });
    const effects: NotificationEffect[] = [];
    for (let seq = 1; seq <= 12; seq++) effects.push(engine.handle(backlog(seq)));
    expect(effects.map((e) => e.kind)).toEqual([...Array<string>(5).fill('show'), ...Array<string>(7).fill('summary')]);
    expect(engine.endBacklog()).toEqual([]);
  });
});

describe('the global sound switch and summaries', () => {
  it('makes the offline digest silent even when a held message was urgent enough to sound', () => {
    const { engine } = engineWith({ sound: false, digest: { minMessages: 2 } });
    for (let seq = 1; seq <= 3; seq++) expect(engine.handle(backlog(seq, { priority: 4 })).kind).toBe('none');
    const [digest] = engine.endBacklog();
    expect(digest).toMatchObject({ kind: 'digest', count: 3, silent: true, sound: false });
  });

  it('makes a storm summary silent', () => {
    const { engine } = engineWith({ sound: false, storm: { channelBurst: 1, channelPerMinute: 0.1 } });
    const live = (seq: number): RuleMessage => backlog(seq, { fromBacklog: false, priority: 4 });
    expect(engine.handle(live(1))).toMatchObject({ kind: 'show', silent: true, sound: false });
    expect(engine.handle(live(2))).toMatchObject({ kind: 'summary', silent: true });
  });
});

describe('OfflineDigest: holding without an item', () => {
  it('counts, releases and sums up exactly as holding every message with its item does', () => {
    // A seeded sequence of holds, re-holds, drops and urgent counts, on a digest that builds items only
    // when it keeps them (holdCounted first, as the rules engine does) and one that always gives them.
    let seed = 42;
    const next = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 300; round++) {
      const settings = digestSchema.parse({ minMessages: 1 + Math.floor(next() * 5) });
      const lazy = new OfflineDigest<string>(settings);
      const eager = new OfflineDigest<string>(settings);
      const steps = Math.floor(next() * 14);
      for (let step = 0; step < steps; step++) {
        const tag = `t${Math.floor(next() * 8)}`;
        const r = next();
        if (r < 0.7) {
          const priority = (1 + Math.floor(next() * 5)) as 1 | 2 | 3 | 4 | 5;
          const silent = next() < 0.5;
          const sound = !silent && next() < 0.5;
          const entry = { tag, priority, silent, sound, item: `${tag}#${step}` };
          const counted = lazy.holdCounted(tag, priority, silent, sound) ?? lazy.hold(entry);
          expect(counted).toBe(eager.hold(entry));
        } else if (r < 0.9) {
          expect(lazy.drop(tag)).toBe(eager.drop(tag));
        } else {
          const priority = (4 + Math.floor(next() * 2)) as 4 | 5;
          lazy.countShown(priority);
          eager.countShown(priority);
        }
        expect(lazy.count).toBe(eager.count);
        expect(lazy.open).toBe(eager.open);
      }
      expect(lazy.close(), `round ${round}`).toEqual(eager.close());
    }
  });
});
