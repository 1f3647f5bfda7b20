/**
 * The local wall clock in a time zone, from Intl.DateTimeFormat (no time zone library).
 *
 * Quiet hours are wall-clock times, so they follow daylight-saving changes: "07:00" is 07:00 on the
 * clock on the day the clocks change too, whatever the UTC offset.
 */
import type { Weekday } from './rule-settings.ts';

/** What the clock on the wall shows at one instant. */
export interface WallTime {
  readonly weekday: Weekday;
  /** Minutes since local midnight, 0 to 1439. */
  readonly minuteOfDay: number;
  /** The local date, "YYYY-MM-DD". */
  readonly date: string;
  /** The local time, "HH:MM". */
  readonly time: string;
}

const WEEKDAY_BY_NAME: Readonly<Record<string, Weekday>> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        weekday: 'short',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      throw new RangeError(`unknown time zone "${timeZone}": use an IANA name such as Europe/Berlin or America/New_York`);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when `timeZone` is an IANA time zone name this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

let systemZone: { zone: string; readAtMs: number } | undefined;

/**
 * The time zone of this machine, as the runtime reports it (for example "Europe/Berlin").
 *
 * Asked at most once a minute: building the formatter that knows it costs tens of microseconds, too
 * much for every message of a busy feed, and a minute is soon enough to follow a laptop that travels.
 */
export function systemTimeZone(nowMs: number = Date.now()): string {
  if (systemZone === undefined || nowMs - systemZone.readAtMs >= 60_000 || nowMs < systemZone.readAtMs) {
    systemZone = { zone: Intl.DateTimeFormat().resolvedOptions().timeZone, readAtMs: nowMs };
  }
  return systemZone.zone;
}

/** The last wall times read in one zone, by UTC minute (a few slots: now, a pause's end, a mute's end). */
interface ZoneCache {
  readonly minutes: number[];
  readonly walls: WallTime[];
  next: number;
}

const CACHE_SLOTS = 4;
const wallCache = new Map<string, ZoneCache>();

/**
 * The wall-clock time in `timeZone` at `epochMs`.
 *
 * Read once per UTC minute and zone, not per call: a burst of a thousand messages costs one or two
 * Intl calls, not a thousand. A minute's reading is kept only when its first and last millisecond show
 * the same local minute (every offset in use today is a whole number of minutes, and clocks change
 * on a minute); otherwise, as in some zones before 1972, each instant of that minute is read on its own.
 *
 * Throws a RangeError naming the zone when the runtime does not know it.
 */
export function wallTime(epochMs: number, timeZone: string): WallTime {
  const minute = Math.floor(epochMs / 60_000);
  let cache = wallCache.get(timeZone);
  if (cache !== undefined) {
    const index = cache.minutes.indexOf(minute);
    if (index >= 0) return cache.walls[index] as WallTime;
  }
  const wall = readWallTime(epochMs, timeZone);
  if (!Number.isFinite(minute)) return wall;
  const start = minute * 60_000;
  let first: WallTime;
  let last: WallTime;
  try {
    first = start === epochMs ? wall : readWallTime(start, timeZone);
    last = start + 59_999 === epochMs ? wall : readWallTime(start + 59_999, timeZone);
  } catch {
    return wall; // the minute reaches past the dates Intl can show
  }
  if (!sameWallTime(first, last) || !sameWallTime(first, wall)) return wall;
  if (cache === undefined) {
    cache = { minutes: [], walls: [], next: 0 };
    wallCache.set(timeZone, cache);
  }
  cache.minutes[cache.next] = minute;
  cache.walls[cache.next] = first;
  cache.next = (cache.next + 1) % CACHE_SLOTS;
  return first;
}

function sameWallTime(a: WallTime, b: WallTime): boolean {
  return a.weekday === b.weekday && a.minuteOfDay === b.minuteOfDay && a.date === b.date && a.time === b.time;
}

function readWallTime(epochMs: number, timeZone: string): WallTime {
  const parts = formatterFor(timeZone).formatToParts(epochMs);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = WEEKDAY_BY_NAME[part('weekday')];
  const hour = Number(part('hour'));
  const minute = Number(part('minute'));
  if (weekday === undefined || !Number.isInteger(hour) || !Number.isInteger(minute)) {
    throw new RangeError(`cannot read the local time in "${timeZone}" at ${new Date(epochMs).toISOString()}`);
  }
  const hh = String(hour).padStart(2, '0');
  const mm = String(minute).padStart(2, '0');
  return {
    weekday,
    minuteOfDay: hour * 60 + minute,
    date: `${part('year')}-${part('month')}-${part('day')}`,
    time: `${hh}:${mm}`,
  };
}

/** The local date and time in `timeZone`, "YYYY-MM-DD HH:MM", for reasons in logs. */
export function formatWallTime(epochMs: number, timeZone: string): string {
  const wall = wallTime(epochMs, timeZone);
  return `${wall.date} ${wall.time}`;
}
