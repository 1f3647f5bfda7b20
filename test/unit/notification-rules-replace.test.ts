import { describe, expect, expectTypeOf, it } from 'vitest';
import type { StoredMessage } from '../../electron/core/message/message.ts';
import type { RuleMessage } from '../../electron/core/notify/rules/decide-notification.ts';
import { NotificationRules, notificationTag, sequenceTag } from '../../electron/core/notify/rules/notification-rules.ts';
import { notificationRulesSchema } from '../../electron/core/notify/rules/rule-settings.ts';

const version = (seq: number, over: Partial<RuleMessage> = {}): RuleMessage => ({
  seq,
  connectionId: 'ci',
  channel: 'Builds',
  title: `Deploy ${seq * 10}%`,
  body: '',
  priority: 3,
  tags: [],
  sequenceId: 'deploy-42',
  ...over,
});

function engineWith(input: Record<string, unknown> = {}) {
  const nowMs = Date.parse('2025-06-11T12:00:00Z');
  return new NotificationRules({ settings: notificationRulesSchema.parse(input), now: () => nowMs, timeZone: 'Europe/Berlin' });
}

describe('replace and clear', () => {
  it('a newer version updates the notification of the earlier one, without taking storm tokens', () => {
    const engine = engineWith({ storm: { channelBurst: 1 } });
    expect(engine.handle(version(1))).toMatchObject({ kind: 'show', tag: 'seq:ci:deploy-42', replace: false });
    for (let seq = 2; seq <= 9; seq++) {
      expect(engine.handle(version(seq))).toMatchObject({ kind: 'show', tag: 'seq:ci:deploy-42', replace: true, seq, title: `Deploy ${seq * 10}%` });
    }
  });

  it('an update is silent unless the new version has a higher priority than the one on screen', () => {
    const engine = engineWith();
    expect(engine.handle(version(1, { priority: 4 }))).toMatchObject({ kind: 'show', silent: false, sound: true });
    expect(engine.handle(version(2, { priority: 4 }))).toMatchObject({ replace: true, silent: true, sound: false, reason: expect.stringContaining('silently') });
    expect(engine.handle(version(3, { priority: 3 }))).toMatchObject({ replace: true, silent: true, sound: false });
    expect(engine.handle(version(4, { priority: 5 }))).toMatchObject({
      replace: true,
      silent: false,
      sound: true,
      urgency: 'critical',
      reason: expect.stringContaining('earlier version (priority 3), alerting again'),
    });
  });

  it('a version after the notification was dismissed pops up anew', () => {
    const engine = engineWith();
    engine.handle(version(1));
    engine.dismissed(notificationTag(version(1)));
    expect(engine.handle(version(2))).toMatchObject({ kind: 'show', replace: false });
  });

  it('a version that no longer pops up withdraws the outdated notification', () => {
    const engine = engineWith();
    engine.handle(version(1));
    expect(engine.handle(version(2, { priority: 1 }))).toMatchObject({
      kind: 'withdraw',
      tag: 'seq:ci:deploy-42',
      reason: 'replaced by a version that does not pop up: priority 1: history only',
    });
    expect(engine.handle(version(3, { priority: 1 }))).toMatchObject({ kind: 'none' });
  });

  it('a clear or delete withdraws the notification, and the next version is new again', () => {
    const engine = engineWith();
    engine.handle(version(1));
    expect(engine.withdraw(sequenceTag('ci', 'deploy-42'), 'delete')).toEqual({ kind: 'withdraw', tag: 'seq:ci:deploy-42', reason: 'message deleted' });
    expect(engine.withdraw(sequenceTag('ci', 'deploy-42'), 'clear')).toEqual({
      kind: 'withdraw',
      tag: 'seq:ci:deploy-42',
      reason: 'message cleared (no notification known on screen)',
    });
    expect(engine.handle(version(2))).toMatchObject({ kind: 'show', replace: false });
  });

  it('the same sequence id on another connection is another message', () => {
    const engine = engineWith();
    engine.handle(version(1));
    expect(engine.handle(version(2, { connectionId: 'office' }))).toMatchObject({ kind: 'show', tag: 'seq:office:deploy-42', replace: false });
  });

  it('messages without a sequence id each get their own notification', () => {
    expect(notificationTag(version(5, { sequenceId: undefined }))).toBe('msg:ci:5');
    expect(notificationTag(version(5, { sequenceId: '' }))).toBe('msg:ci:5');
  });

  it('takes a stored message as it is', () => {
    expectTypeOf<StoredMessage>().toExtend<RuleMessage>();
  });

  it('refuses a time zone it does not know, saying what to give instead', () => {
    expect(() => new NotificationRules({ settings: notificationRulesSchema.parse({}), timeZone: 'Europe/Atlantis' })).toThrow(
      'unknown time zone "Europe/Atlantis": use an IANA name such as Europe/Berlin or America/New_York',
    );
  });
});
