import { describe, expect, it } from 'vitest';
import { decideNotification, type RuleContext, type RuleMessage } from '../../electron/core/notify/rules/decide-notification.ts';
import { adjustPriority } from '../../electron/core/notify/rules/priority-filters.ts';
import { clampPriority, notificationRulesSchema, type NotificationRuleSettings } from '../../electron/core/notify/rules/rule-settings.ts';

const rules = (input: unknown = {}): NotificationRuleSettings => notificationRulesSchema.parse(input);
const message = (over: Partial<RuleMessage> = {}): RuleMessage => ({
  seq: 1,
  connectionId: 'office',
  channel: 'Build failures',
  title: 'Build #1284 failed',
  body: 'main is red',
  priority: 3,
  tags: [],
  ...over,
});
// Wednesday 2025-06-11 14:00 in Berlin.
const at = (over: Partial<RuleContext> = {}): RuleContext => ({ nowMs: Date.parse('2025-06-11T12:00:00Z'), timeZone: 'Europe/Berlin', ...over });

describe('priorities 1 to 5', () => {
  it('map to history only, silent, normal, with sound, and urgent that stays', () => {
    const seen = ([1, 2, 3, 4, 5] as const).map((priority) => {
      const d = decideNotification(message({ priority }), rules(), at());
      return d.show ? { show: true, silent: d.silent, sound: d.sound, urgency: d.urgency, sticky: d.sticky } : { show: false, rule: d.rule };
    });
    expect(seen).toEqual([
      { show: false, rule: 'priority' },
      { show: true, silent: true, sound: false, urgency: 'low', sticky: false },
      { show: true, silent: false, sound: false, urgency: 'normal', sticky: false },
      { show: true, silent: false, sound: true, urgency: 'normal', sticky: false },
      { show: true, silent: false, sound: true, urgency: 'critical', sticky: true },
    ]);
  });

  it('says why in words a log reader understands', () => {
    expect(decideNotification(message({ priority: 1 }), rules(), at()).reason).toBe('priority 1: history only');
    expect(decideNotification(message({ priority: 4 }), rules(), at()).reason).toBe('priority 4: pop-up with sound');
  });
});

describe('channel rules', () => {
  it('a channel muted until turned off shows nothing, not even urgent messages', () => {
    const settings = rules({ channels: { 'Build failures': { muted: true } } });
    const d = decideNotification(message({ priority: 5 }), settings, at());
    expect(d).toMatchObject({ show: false, rule: 'mute', reason: 'priority 5: channel "Build failures" is muted until turned off' });
    expect(decideNotification(message({ channel: 'Deploys' }), settings, at()).show).toBe(true);
  });

  it('a mute for a duration ends by itself at its end time, given in local time', () => {
    const untilMs = Date.parse('2025-06-11T13:00:00Z');
    const settings = rules({ channels: { 'Build failures': { mutedUntilMs: untilMs } } });
    const before = decideNotification(message(), settings, at({ nowMs: untilMs - 1 }));
    expect(before).toMatchObject({ show: false, rule: 'mute', reason: 'priority 3: channel "Build failures" is muted until 2025-06-11 15:00' });
    expect(decideNotification(message(), settings, at({ nowMs: untilMs })).show).toBe(true);
  });

  it('a channel minimum priority keeps lower messages in history only', () => {
    const settings = rules({ channels: { 'Build failures': { minPriority: 4 } } });
    expect(decideNotification(message({ priority: 3 }), settings, at())).toMatchObject({
      show: false,
      rule: 'min-priority',
      reason: 'priority 3: below the minimum priority 4 of channel "Build failures"',
    });
    expect(decideNotification(message({ priority: 4 }), settings, at()).show).toBe(true);
    expect(decideNotification(message({ priority: 3, channel: 'Deploys' }), settings, at()).show).toBe(true);
  });

  it('sound off makes every notification of the channel silent, urgent ones too', () => {
    const settings = rules({ channels: { 'Build failures': { sound: false } } });
    const d = decideNotification(message({ priority: 5 }), settings, at());
    expect(d).toMatchObject({ show: true, silent: true, sound: false, urgency: 'critical', sticky: true });
    expect(d.reason).toContain('sound off for channel "Build failures"');
  });

  it('the global sound switch off makes every notification silent, urgent ones too, whatever the channel says', () => {
    expect(rules().sound).toBe(true);
    const settings = rules({ sound: false, channels: { 'Build failures': { sound: true } } });
    for (const priority of [2, 3, 4, 5] as const) {
      const d = decideNotification(message({ priority }), settings, at());
      expect(d).toMatchObject({ show: true, silent: true, sound: false });
    }
    const urgent = decideNotification(message({ priority: 5 }), settings, at());
    expect(urgent).toMatchObject({ urgency: 'critical', sticky: true });
    expect(urgent.reason).toBe('priority 5: urgent pop-up with sound, stays until dismissed; sound off for all notifications');
  });

  it('the global sound switch on leaves the presentation and the channel switch as they are', () => {
    expect(decideNotification(message({ priority: 4 }), rules({ sound: true }), at())).toMatchObject({ silent: false, sound: true });
    expect(decideNotification(message({ priority: 4 }), rules({ sound: true, channels: { 'Build failures': { sound: false } } }), at())).toMatchObject({
      silent: true,
      sound: false,
    });
  });
});

describe('keyword and tag filters', () => {
  it('raise on a keyword in the title or body, ignoring case', () => {
    const settings = rules({ filters: [{ keywords: ['Outage'], adjust: 2 }] });
    const d = decideNotification(message({ body: 'Database OUTAGE in eu-west' }), settings, at());
    expect(d).toMatchObject({ show: true, priority: 5, urgency: 'critical' });
    expect(d.reason).toMatch(/^priority 5 \(raised from 3: keyword "Outage" \+2\): urgent/);
    expect(decideNotification(message({ body: 'all good' }), settings, at()).priority).toBe(3);
  });

  it('lower on a tag, ignoring case, down to history only', () => {
    const settings = rules({ filters: [{ tags: ['ci'], adjust: -2 }] });
    const d = decideNotification(message({ tags: ['CI', 'nightly'] }), settings, at());
    expect(d).toMatchObject({ show: false, priority: 1, rule: 'priority', reason: 'priority 1 (lowered from 3: tag "ci" -2): history only' });
  });

  it('add up over all matching filters and keep the result within 1 to 5', () => {
    const filters = [
      { keywords: ['failed'], adjust: 3 },
      { tags: ['prod'], adjust: 2 },
      { tags: ['noise'], adjust: -4 },
    ];
    expect(adjustPriority(message({ priority: 4, tags: ['prod'] }), rules({ filters }).filters)).toMatchObject({ priority: 5, original: 4 });
    expect(adjustPriority(message({ priority: 2, title: 'ok', tags: ['noise'] }), rules({ filters }).filters).priority).toBe(1);
    // +3 and -4 on 3 is 2: the clamp applies to the sum, not after each filter.
    expect(adjustPriority(message({ priority: 3, tags: ['noise'] }), rules({ filters }).filters)).toMatchObject({
      priority: 2,
      matched: ['keyword "failed" +3', 'tag "noise" -4'],
    });
  });

  it('limited to channels, leave other channels alone', () => {
    const settings = rules({ filters: [{ keywords: ['failed'], channels: ['Deploys'], adjust: 1 }] });
    expect(decideNotification(message(), settings, at()).priority).toBe(3);
    expect(decideNotification(message({ channel: 'Deploys' }), settings, at()).priority).toBe(4);
  });

  it('run before the other rules: a raised message passes a channel minimum it would have missed', () => {
    const settings = rules({ channels: { 'Build failures': { minPriority: 4 } }, filters: [{ tags: ['prod'], adjust: 1 }] });
    expect(decideNotification(message({ tags: ['prod'] }), settings, at()).show).toBe(true);
    expect(decideNotification(message(), settings, at()).show).toBe(false);
  });

  it('clampPriority keeps any number within 1 to 5', () => {
    expect([-3, 0, 1, 2.6, 5, 9, Number.NaN].map(clampPriority)).toEqual([1, 1, 1, 3, 5, 5, 1]);
  });
});

describe('acknowledgement', () => {
  it('a message that requires acknowledgement stays on screen and repeats at least every 30 s', () => {
    const d = decideNotification(message({ priority: 3, requiresAck: true, ackRepeatSec: 10 }), rules(), at());
    expect(d).toMatchObject({ show: true, sticky: true, requiresAck: true, ackRepeatSec: 30 });
    expect(decideNotification(message({ requiresAck: true, ackRepeatSec: 45 }), rules(), at())).toMatchObject({ ackRepeatSec: 45 });
    expect(decideNotification(message({ requiresAck: true }), rules(), at())).toMatchObject({ ackRepeatSec: 60 });
    expect(decideNotification(message(), rules(), at())).toMatchObject({ sticky: false, requiresAck: false, ackRepeatSec: undefined });
  });
});

describe('notification rule settings', () => {
  const issues = (input: unknown): string[] => {
    const result = notificationRulesSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('fill every default from an empty object', () => {
    expect(rules()).toEqual({
      channels: {},
      quietHours: { enabled: false, windows: [], urgentBypass: true },
      filters: [],
      storm: { enabled: true, channelBurst: 5, channelPerMinute: 10, globalBurst: 10, globalPerMinute: 30, stormEndSec: 60 },
      digest: { enabled: true, minMessages: 3 },
      critical: { defaultRepeatSec: 60 },
      sound: true,
    });
  });

  it('name the field and the reason of each mistake', () => {
    expect(issues({ quietHours: { windows: [{ days: ['mon', 'funday'], start: '24:00', end: '07:00' }] } })).toEqual([
      'quietHours.windows.0.days.1: must be mon, tue, wed, thu, fri, sat or sun',
      'quietHours.windows.0.start: must be a time of day as HH:MM, from 00:00 to 23:59',
    ]);
    expect(issues({ channels: { Builds: { minPriority: 6 } } })).toEqual(['channels.Builds.minPriority: must be a priority from 1 (min) to 5 (urgent)']);
    expect(issues({ filters: [{ adjust: 0, keywords: ['x'] }] })).toEqual(['filters.0.adjust: must raise (1 to 4) or lower (-1 to -4) the priority, not 0']);
    expect(issues({ filters: [{ adjust: 1 }] })).toEqual(['filters.0.keywords: needs at least one keyword or tag to match']);
    expect(issues({ critical: { defaultRepeatSec: 10 } })).toEqual(['critical.defaultRepeatSec: must be at least 30 s']);
    expect(issues({ quietHours: { windows: [{ days: ['mon', 'mon'], start: '22:00', end: '07:00' }] } })).toEqual([
      'quietHours.windows.0.days: each day may appear only once',
    ]);
    expect(issues({ storm: { burst: 3 } })).toHaveLength(1);
  });
});
