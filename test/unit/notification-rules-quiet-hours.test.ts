import { describe, expect, it } from 'vitest';
import { decideNotification, type RuleMessage } from '../../electron/core/notify/rules/decide-notification.ts';
import { wallTime } from '../../electron/core/notify/rules/local-time.ts';
import { NotificationRules } from '../../electron/core/notify/rules/notification-rules.ts';
import { activeQuietWindow, describeQuietWindow } from '../../electron/core/notify/rules/quiet-hours.ts';
import { notificationRulesSchema, quietHoursSchema, type NotificationRuleSettings, type QuietHours } from '../../electron/core/notify/rules/rule-settings.ts';

const quiet = (windows: unknown[], over: Record<string, unknown> = {}): QuietHours => quietHoursSchema.parse({ enabled: true, windows, ...over });
const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';
const isQuiet = (hours: QuietHours, iso: string, zone = BERLIN): boolean => activeQuietWindow(hours, Date.parse(iso), zone) !== undefined;

/** Minutes of quiet between two instants, counted on real (UTC) time minute by minute. */
function quietMinutes(hours: QuietHours, fromIso: string, toIso: string, zone: string): number {
  let minutes = 0;
  for (let t = Date.parse(fromIso); t < Date.parse(toIso); t += 60_000) if (activeQuietWindow(hours, t, zone) !== undefined) minutes += 1;
  return minutes;
}

const nights = quiet([{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '22:00', end: '07:00' }]);

describe('quiet hours on a weekly schedule', () => {
  it('a same-day window covers its start and not its end', () => {
    const lunch = quiet([{ days: ['sat', 'sun'], start: '09:00', end: '12:00' }]);
    // Saturday 2025-06-14, Berlin is UTC+2.
    expect(isQuiet(lunch, '2025-06-14T06:59:00Z')).toBe(false);
    expect(isQuiet(lunch, '2025-06-14T07:00:00Z')).toBe(true);
    expect(isQuiet(lunch, '2025-06-14T09:59:00Z')).toBe(true);
    expect(isQuiet(lunch, '2025-06-14T10:00:00Z')).toBe(false);
    // Friday at the same hour is not a chosen day.
    expect(isQuiet(lunch, '2025-06-13T08:00:00Z')).toBe(false);
  });

  it('a window across midnight belongs to the day it starts on', () => {
    // Friday 23:30 and Saturday 06:59 are Friday night; Saturday 07:00 is not.
    expect(isQuiet(nights, '2025-06-13T21:30:00Z')).toBe(true);
    expect(isQuiet(nights, '2025-06-14T04:59:00Z')).toBe(true);
    expect(isQuiet(nights, '2025-06-14T05:00:00Z')).toBe(false);
    // Saturday 23:00 and Monday 03:00 belong to Saturday and Sunday nights, which are not chosen.
    expect(isQuiet(nights, '2025-06-14T21:00:00Z')).toBe(false);
    expect(isQuiet(nights, '2025-06-16T01:00:00Z')).toBe(false);
    // Tuesday 03:00 is Monday night.
    expect(isQuiet(nights, '2025-06-17T01:00:00Z')).toBe(true);
  });

  it('the same start and end is a whole day', () => {
    const saturday = quiet([{ days: ['sat'], start: '00:00', end: '00:00' }]);
    expect(quietMinutes(saturday, '2025-06-13T20:00:00Z', '2025-06-15T04:00:00Z', BERLIN)).toBe(24 * 60);
    expect(isQuiet(saturday, '2025-06-13T22:00:00Z')).toBe(true);
    expect(isQuiet(saturday, '2025-06-14T22:00:00Z')).toBe(false);
  });

  it('is read in the time zone it is given', () => {
    // 2025-06-13T21:30Z is 23:30 Friday in Berlin but 17:30 in New York.
    expect(isQuiet(nights, '2025-06-13T21:30:00Z', BERLIN)).toBe(true);
    expect(isQuiet(nights, '2025-06-13T21:30:00Z', NEW_YORK)).toBe(false);
  });

  it('does nothing while switched off', () => {
    const off = quiet([{ days: ['fri'], start: '00:00', end: '00:00' }], { enabled: false });
    expect(isQuiet(off, '2025-06-13T12:00:00Z')).toBe(false);
  });

  it('describes windows in short words', () => {
    expect(nights.windows.map(describeQuietWindow)).toEqual(['mon-fri 22:00-07:00']);
    expect(describeQuietWindow({ days: ['sun', 'sat'], start: '00:00', end: '00:00' })).toBe('sat,sun 00:00-00:00');
    expect(describeQuietWindow({ days: ['fri', 'mon', 'wed'], start: '12:00', end: '13:00' })).toBe('mon,wed,fri 12:00-13:00');
    expect(describeQuietWindow({ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '23:00', end: '06:00' })).toBe('every day 23:00-06:00');
  });
});

describe('quiet hours across daylight-saving changes', () => {
  const saturdayNight = quiet([{ days: ['sat'], start: '22:00', end: '07:00' }]);

  it('Berlin spring-forward: the night ends at 07:00 CEST, an hour shorter', () => {
    // 2025-03-30 02:00 CET becomes 03:00 CEST. Saturday 22:00 CET is 21:00Z, Sunday 07:00 CEST is 05:00Z.
    expect(isQuiet(saturdayNight, '2025-03-29T20:59:00Z')).toBe(false);
    expect(isQuiet(saturdayNight, '2025-03-29T21:00:00Z')).toBe(true);
    expect(isQuiet(saturdayNight, '2025-03-30T04:59:00Z')).toBe(true);
    // A fixed winter offset (+1) would read 06:00 here and still be quiet.
    expect(isQuiet(saturdayNight, '2025-03-30T05:00:00Z')).toBe(false);
    expect(quietMinutes(saturdayNight, '2025-03-29T12:00:00Z', '2025-03-30T12:00:00Z', BERLIN)).toBe(8 * 60);
  });

  it('Berlin fall-back: the night ends at 07:00 CET, an hour longer', () => {
    // 2025-10-26 03:00 CEST becomes 02:00 CET. Saturday 22:00 CEST is 20:00Z, Sunday 07:00 CET is 06:00Z.
    expect(isQuiet(saturdayNight, '2025-10-25T19:59:00Z')).toBe(false);
    expect(isQuiet(saturdayNight, '2025-10-25T20:00:00Z')).toBe(true);
    // A fixed summer offset (+2) would read 07:59 here and not be quiet.
    expect(isQuiet(saturdayNight, '2025-10-26T05:59:00Z')).toBe(true);
    expect(isQuiet(saturdayNight, '2025-10-26T06:00:00Z')).toBe(false);
    expect(quietMinutes(saturdayNight, '2025-10-25T12:00:00Z', '2025-10-26T12:00:00Z', BERLIN)).toBe(10 * 60);
  });

  it('a window starting in the skipped hour starts when the clock jumps past it', () => {
    const early = quiet([{ days: ['sun'], start: '02:30', end: '04:00' }]);
    expect(wallTime(Date.parse('2025-03-30T00:59:00Z'), BERLIN).time).toBe('01:59');
    expect(isQuiet(early, '2025-03-30T00:59:00Z')).toBe(false);
    // One minute later the clock reads 03:00 CEST.
    expect(isQuiet(early, '2025-03-30T01:00:00Z')).toBe(true);
    expect(quietMinutes(early, '2025-03-29T22:00:00Z', '2025-03-30T06:00:00Z', BERLIN)).toBe(60);
  });

  it('a window ending inside the repeated fall-back hour applies to both passes of that hour', () => {
    const late = quiet([{ days: ['sat'], start: '23:00', end: '02:30' }]);
    expect(isQuiet(late, '2025-10-26T00:10:00Z')).toBe(true); // 02:10 CEST
    expect(isQuiet(late, '2025-10-26T00:40:00Z')).toBe(false); // 02:40 CEST
    expect(isQuiet(late, '2025-10-26T01:10:00Z')).toBe(true); // 02:10 CET, the second pass
    expect(isQuiet(late, '2025-10-26T01:40:00Z')).toBe(false); // 02:40 CET
  });

  it('New York: 23:00 to 07:00 lasts 7 hours on spring-forward night and 9 on fall-back night', () => {
    const lateNight = quiet([{ days: ['sat'], start: '23:00', end: '07:00' }]);
    expect(quietMinutes(lateNight, '2025-03-08T12:00:00Z', '2025-03-09T18:00:00Z', NEW_YORK)).toBe(7 * 60);
    expect(quietMinutes(lateNight, '2025-11-01T12:00:00Z', '2025-11-02T18:00:00Z', NEW_YORK)).toBe(9 * 60);
    // Sunday 07:00 EDT (11:00Z) after spring-forward ends it; 10:59Z is 06:59 EDT.
    expect(isQuiet(lateNight, '2025-03-09T10:59:00Z', NEW_YORK)).toBe(true);
    expect(isQuiet(lateNight, '2025-03-09T11:00:00Z', NEW_YORK)).toBe(false);
  });
});

describe('quiet hours and the urgent exception', () => {
  const settings = (input: Record<string, unknown> = {}): NotificationRuleSettings =>
    notificationRulesSchema.parse({ quietHours: { enabled: true, windows: [{ days: ['fri'], start: '22:00', end: '07:00' }], ...input } });
  const message = (priority: RuleMessage['priority']): RuleMessage => ({ seq: 1, connectionId: 'ops', channel: 'Ops', title: 'disk full', body: '', priority, tags: [] });
  // Friday 2025-06-13 23:30 in Berlin.
  const night = { nowMs: Date.parse('2025-06-13T21:30:00Z'), timeZone: BERLIN };

  it('keep everything below urgent in history only, saying which window', () => {
    expect(decideNotification(message(4), settings(), night)).toMatchObject({ show: false, rule: 'quiet-hours', reason: 'priority 4: quiet hours (fri 22:00-07:00)' });
  });

  it('let urgent messages through when the settings allow it', () => {
    const d = decideNotification(message(5), settings(), night);
    expect(d).toMatchObject({ show: true, sticky: true, sound: true });
    expect(d.reason).toBe('priority 5: urgent pop-up with sound, stays until dismissed; passes quiet hours (fri 22:00-07:00) as urgent (allowed in settings)');
  });

  it('keep urgent messages back when the settings do not allow it', () => {
    expect(decideNotification(message(5), settings({ urgentBypass: false }), night)).toMatchObject({
      show: false,
      reason: 'priority 5: quiet hours (fri 22:00-07:00); urgent messages may not pass (not allowed in settings)',
    });
  });

  it('follow IT policy over the settings, both ways', () => {
    const forbidden = decideNotification(message(5), settings({ urgentBypass: true }), { ...night, policy: { urgentBypassesQuietHours: false } });
    expect(forbidden).toMatchObject({ show: false, reason: expect.stringContaining('forbidden by IT policy') });
    const allowed = decideNotification(message(5), settings({ urgentBypass: false }), { ...night, policy: { urgentBypassesQuietHours: true } });
    expect(allowed).toMatchObject({ show: true, reason: expect.stringContaining('allowed by IT policy') });
  });
});

describe('pause notifications for an hour', () => {
  const message = (priority: RuleMessage['priority']): RuleMessage => ({ seq: 1, connectionId: 'ops', channel: 'Ops', title: 'deploy done', body: '', priority, tags: [] });

  it('holds pop-ups back for exactly one hour, then lets them through again', () => {
    let nowMs = Date.parse('2025-06-11T12:00:00Z');
    const engine = new NotificationRules({ settings: notificationRulesSchema.parse({}), now: () => nowMs, timeZone: BERLIN });
    expect(engine.pause()).toBe(nowMs + 3_600_000);
    nowMs += 59 * 60_000;
    expect(engine.handle(message(4))).toMatchObject({ kind: 'none', reason: 'priority 4: notifications paused until 2025-06-11 15:00' });
    nowMs += 60_000;
    expect(engine.pausedUntilMs).toBeUndefined();
    expect(engine.handle(message(4)).kind).toBe('show');
  });

  it('lets urgent messages pass like quiet hours, unless policy forbids it, and ends early on resume', () => {
    const nowMs = Date.parse('2025-06-11T12:00:00Z');
    const engine = new NotificationRules({ settings: notificationRulesSchema.parse({}), now: () => nowMs, timeZone: BERLIN });
    engine.pause();
    expect(engine.handle({ ...message(5), seq: 1 })).toMatchObject({ kind: 'show', reason: expect.stringContaining('passes notifications paused until') });
    engine.update(notificationRulesSchema.parse({}), { urgentBypassesQuietHours: false });
    expect(engine.handle({ ...message(5), seq: 2 })).toMatchObject({ kind: 'none', reason: expect.stringContaining('forbidden by IT policy') });
    engine.resume();
    expect(engine.handle({ ...message(3), seq: 3 }).kind).toBe('show');
  });
});

describe('the wall clock read once a minute', () => {
  /** The wall time as Intl gives it for this very instant, without any cache. */
  const direct = (epochMs: number, timeZone: string): { weekday: string; time: string; date: string } => {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(epochMs);
    const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
    return { weekday: part('weekday').toLowerCase(), time: `${part('hour')}:${part('minute')}`, date: `${part('year')}-${part('month')}-${part('day')}` };
  };

  it('agrees with Intl at every instant across clock changes, half-hour zones and a zone whose offset had seconds', () => {
    const cases: [string, string][] = [
      [BERLIN, '2025-03-30T00:58:00Z'], // spring forward
      [BERLIN, '2025-10-26T00:58:00Z'], // fall back
      ['Australia/Lord_Howe', '2025-04-05T14:58:00Z'], // a 30-minute change
      ['Asia/Kathmandu', '2025-06-14T00:00:00Z'], // UTC+5:45
      ['Africa/Monrovia', '1972-01-06T23:58:00Z'], // -0:44:30 to UTC, in 1972
      ['Europe/Amsterdam', '1937-06-30T23:38:00Z'], // +0:19:32 to +0:20
    ];
    for (const [zone, fromIso] of cases) {
      const from = Date.parse(fromIso);
      // Every 7 s over 6 minutes, then back over the same span, so cached minutes are read again.
      const instants = Array.from({ length: 52 }, (_, i) => from + i * 7_000);
      for (const t of [...instants, ...instants.reverse()]) {
        const wall = wallTime(t, zone);
        expect({ weekday: wall.weekday, time: wall.time, date: wall.date }, `${zone} at ${new Date(t).toISOString()}`).toEqual(direct(t, zone));
        expect(wall.minuteOfDay).toBe(Number(wall.time.slice(0, 2)) * 60 + Number(wall.time.slice(3)));
      }
    }
  });

  it('decides a burst of 1,000 messages in quiet hours with a few Intl calls, not a thousand', () => {
    const settings = notificationRulesSchema.parse({ quietHours: { enabled: true, windows: [{ days: ['fri'], start: '22:00', end: '07:00' }] } });
    const clock = { nowMs: Date.parse('2025-06-13T21:30:00Z') }; // Friday 23:30 in Berlin
    const engine = new NotificationRules({ settings, now: () => clock.nowMs, timeZone: 'Europe/Vienna' });
    const format = Intl.DateTimeFormat.prototype.formatToParts;
    let calls = 0;
    Intl.DateTimeFormat.prototype.formatToParts = function (this: Intl.DateTimeFormat, date?: Date | number) {
      calls += 1;
      return format.call(this, date);
    };
    try {
      const effects = Array.from({ length: 1000 }, (_, i) => {
        clock.nowMs += 10; // ten seconds in all: within one or two wall-clock minutes
        return engine.handle({ seq: i + 1, connectionId: 'c', channel: 'Ops', title: 't', body: 'b', priority: 3, tags: [] });
      });
      expect(effects.every((e) => e.kind === 'none' && e.reason === 'priority 3: quiet hours (fri 22:00-07:00)')).toBe(true);
    } finally {
      Intl.DateTimeFormat.prototype.formatToParts = format;
    }
    // Each new minute is read at its instant and at both of its ends.
    expect(calls).toBeLessThanOrEqual(6);
  });

  it('ends quiet hours on the minute, however the minutes before were remembered', () => {
    const berlinMorning = Date.parse('2025-06-14T04:59:00Z'); // Saturday 06:59 in Berlin, end of Friday night
    for (let t = berlinMorning; t < berlinMorning + 60_000; t += 997) expect(activeQuietWindow(nights, t, BERLIN)).toBeDefined();
    expect(activeQuietWindow(nights, berlinMorning + 60_000, BERLIN)).toBeUndefined();
    expect(activeQuietWindow(nights, berlinMorning + 59_999, BERLIN)).toBeDefined();
    // New settings are read at once, in the same minute.
    expect(activeQuietWindow(quiet([{ days: ['sat'], start: '06:00', end: '06:30' }]), berlinMorning, BERLIN)).toBeUndefined();
    expect(activeQuietWindow({ ...nights, enabled: false }, berlinMorning, BERLIN)).toBeUndefined();
  });
});
