/**
 * The day and month a moment falls in, in a site's time zone, and when they
 * start and end. Caps reset at local midnight and on the first of the month.
 */
export interface Periods {
  /** `YYYY-MM-DD` in the time zone (for people; counters are keyed by `dayKey`). */
  day: string;
  /** `YYYY-MM` in the time zone. */
  month: string;
  dayStartsAt: number;
  dayEndsAt: number;
  monthStartsAt: number;
  monthEndsAt: number;
  /** The day's window in absolute time as a counter key (see windowKey). */
  dayKey: string;
  monthKey: string;
}

/** Digits of a unix-millisecond time in a window key: sorts as text up to the year 33658. */
const KEY_DIGITS = 15;

/**
 * A spend window `[startsAt, endsAt)` as a counter key: `<endsAt>-<startsAt>`,
 * zero-padded. The end comes first, so the windows that end after a moment
 * are one range of keys: the ones still open at that moment, usually one.
 */
export function windowKey(startsAt: number, endsAt: number): string {
  return `${padTime(endsAt)}-${padTime(startsAt)}`;
}

/** The smallest key of a window ending after `at` (keys below it ended by then). */
export function keyEndingAfter(at: number): string {
  return padTime(at + 1);
}

export function padTime(at: number): string {
  return String(at).padStart(KEY_DIGITS, "0");
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, format);
  }
  return format;
}

export function isTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(at: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(at)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return parts as unknown as WallTime;
}

/** The UTC instant of a local wall-clock time in the zone (first match across DST gaps). */
function instantOf(year: number, month: number, day: number, timeZone: string): number {
  const target = Date.UTC(year, month - 1, day);
  let guess = target;
  for (let i = 0; i < 3; i += 1) {
    const wall = wallTime(guess, timeZone);
    const shown = Date.UTC(
      wall.year,
      wall.month - 1,
      wall.day,
      wall.hour,
      wall.minute,
      wall.second,
    );
    guess += target - shown;
  }
  return guess;
}

/** The current day of each zone: most calls fall in it and need no formatting. */
const currentDay = new Map<string, { startsAt: number; periods: Periods }>();

export function periodsAt(at: number, timeZone: string): Periods {
  const cached = currentDay.get(timeZone);
  if (cached && at >= cached.startsAt && at < cached.periods.dayEndsAt) return cached.periods;
  const wall = wallTime(at, timeZone);
  const month = `${wall.year}-${pad(wall.month)}`;
  const dayStartsAt = instantOf(wall.year, wall.month, wall.day, timeZone);
  const dayEndsAt = instantOf(wall.year, wall.month, wall.day + 1, timeZone);
  const monthStartsAt = instantOf(wall.year, wall.month, 1, timeZone);
  const monthEndsAt = instantOf(wall.year, wall.month + 1, 1, timeZone);
  const periods: Periods = {
    day: `${month}-${pad(wall.day)}`,
    month,
    dayStartsAt,
    dayEndsAt,
    monthStartsAt,
    monthEndsAt,
    dayKey: windowKey(dayStartsAt, dayEndsAt),
    monthKey: windowKey(monthStartsAt, monthEndsAt),
  };
  currentDay.set(timeZone, { startsAt: dayStartsAt, periods });
  return periods;
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/** The UTC instant a local day (`YYYY-MM-DD`) starts in the zone. */
export function dayStartsAt(day: string, timeZone: string): number {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return instantOf(year, month, date, timeZone);
}

/** The window of a local day (`YYYY-MM-DD`) or month (`YYYY-MM`) in the zone. */
export function calendarWindow(
  period: string,
  timeZone: string,
): { startsAt: number; endsAt: number } {
  const [year, month, date] = period.split("-").map(Number) as [number, number, number?];
  if (date === undefined) {
    return {
      startsAt: instantOf(year, month, 1, timeZone),
      endsAt: instantOf(year, month + 1, 1, timeZone),
    };
  }
  return {
    startsAt: instantOf(year, month, date, timeZone),
    endsAt: instantOf(year, month, date + 1, timeZone),
  };
}

/** The last `count` local days up to and including the one holding `at`, oldest first. */
export function recentDays(
  at: number,
  timeZone: string,
  count: number,
): { day: string; from: number; to: number }[] {
  const days: { day: string; from: number; to: number }[] = [];
  let probe = at;
  for (let i = 0; i < count; i += 1) {
    const { day, dayStartsAt: from, dayEndsAt } = periodsAt(probe, timeZone);
    days.unshift({ day, from, to: dayEndsAt });
    probe = from - 1;
  }
  return days;
}
