/**
 * Whether quiet hours hold at an instant: a weekly schedule read on the local wall clock.
 */
import { wallTime, type WallTime } from './local-time.ts';
import { WEEKDAYS, type QuietHours, type QuietWindow, type Weekday } from './rule-settings.ts';

/** Minutes since midnight of an "HH:MM" time. */
function minutesOf(clock: string): number {
  const [hh = '0', mm = '0'] = clock.split(':');
  return Number(hh) * 60 + Number(mm);
}

function dayBefore(day: Weekday): Weekday {
  const index = WEEKDAYS.indexOf(day);
  return WEEKDAYS[(index + WEEKDAYS.length - 1) % WEEKDAYS.length] ?? 'sun';
}

/**
 * True when `window` covers the wall-clock minute `minuteOfDay` on `today`.
 *
 * A window that crosses midnight belongs to the day it starts on: Friday's 22:00-07:00 covers
 * Saturday 06:59, and Sunday's does not cover Monday morning unless Sunday is one of its days.
 */
export function windowCovers(window: QuietWindow, today: Weekday, minuteOfDay: number): boolean {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start < end) return window.days.includes(today) && minuteOfDay >= start && minuteOfDay < end;
  // Crosses midnight; start equal to end is a full 24 hours from start.
  return (window.days.includes(today) && minuteOfDay >= start) || (window.days.includes(dayBefore(today)) && minuteOfDay < end);
}

/**
 * The quiet-hours window in force at `nowMs` in `timeZone`, or undefined when none is (or quiet hours
 * are off).
 *
 * The schedule is read on the wall clock, so a window keeps its local times across daylight-saving
 * changes: the night before spring-forward is an hour shorter, the night before fall-back an hour
 * longer, and a window ending inside the repeated fall-back hour applies to both of its passes.
 */
export function activeQuietWindow(quietHours: QuietHours, nowMs: number, timeZone: string): QuietWindow | undefined {
  if (!quietHours.enabled || quietHours.windows.length === 0) return undefined;
  const now = wallTime(nowMs, timeZone);
  // wallTime gives the same object for every instant of a minute in a zone, so the answer for the same
  // settings is remembered until the minute, the zone or the settings change.
  const memo = lastAnswer;
  if (memo !== undefined && memo.wall === now && memo.quietHours === quietHours && memo.windows === quietHours.windows) return memo.window;
  const window = quietHours.windows.find((w) => windowCovers(w, now.weekday, now.minuteOfDay));
  lastAnswer = { quietHours, windows: quietHours.windows, wall: now, window };
  return window;
}

/** The last answer of activeQuietWindow, for the same settings object in the same wall-clock minute. */
let lastAnswer: { quietHours: QuietHours; windows: readonly QuietWindow[]; wall: WallTime; window: QuietWindow | undefined } | undefined;

/** A window in words for reasons and the settings panel: "mon-fri 22:00-07:00", "sat,sun 00:00-00:00". */
export function describeQuietWindow(window: QuietWindow): string {
  return `${describeDays(window.days)} ${window.start}-${window.end}`;
}

function describeDays(days: readonly Weekday[]): string {
  const indexes = [...new Set(days.map((d) => WEEKDAYS.indexOf(d)))].sort((a, b) => a - b);
  if (indexes.length === WEEKDAYS.length) return 'every day';
  const runs: number[][] = [];
  for (const index of indexes) {
    const run = runs.at(-1);
    if (run !== undefined && run.at(-1) === index - 1) run.push(index);
    else runs.push([index]);
  }
  return runs
    .map((run) => {
      const names = run.map((i) => WEEKDAYS[i] ?? '');
      return names.length >= 3 ? `${names[0]}-${names.at(-1)}` : names.join(',');
    })
    .join(',');
}
