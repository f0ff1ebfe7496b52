/**
 * Numbers, money, durations and dates as the admin screen shows them. Pure: the
 * locale (and, for dates, the time zone) are parameters, so tests pin them.
 */

/** The admin's locale, from <html lang> (WordPress prints the user's locale there). */
export function adminLocale(): string | undefined {
  const lang = typeof document === "undefined" ? "" : document.documentElement.lang;
  return lang || undefined;
}

const usdFormats = new Map<string, Intl.NumberFormat>();

function usdFormat(locale: string | undefined, options: Intl.NumberFormatOptions) {
  const key = `${locale ?? ""}|${JSON.stringify(options)}`;
  let format = usdFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: "currency", currency: "USD", ...options });
    usdFormats.set(key, format);
  }
  return format;
}

/**
 * US dollars: cents from one cent up, two significant digits below (a chat answer
 * often costs a fraction of a cent: $0.00011), and $0.00 for nothing.
 */
export function formatUsd(amount: number, locale?: string): string {
  const magnitude = Math.abs(amount);
  if (magnitude > 0 && magnitude < 0.01) {
    return usdFormat(locale, { maximumSignificantDigits: 2 }).format(amount);
  }
  return usdFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(amount);
}

/** A price per million tokens: at least cents, up to four decimals ($0.075, $15.00). */
export function formatPrice(usdPerMillion: number, locale?: string): string {
  return usdFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 4 }).format(
    usdPerMillion,
  );
}

/** A cap for a form field: plain digits with a dot, no currency sign or grouping ("" for none). */
export function capToText(usd: number | null): string {
  if (usd === null) return "";
  // Up to six decimals (a millionth of a dollar), without float noise or trailing zeros.
  return String(Number(usd.toFixed(6)));
}

export function formatInteger(value: number, locale?: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value);
}

/** A share as a whole percentage, floored so that 99.6% never reads as 100%. */
export function formatPercent(fraction: number, locale?: string): string {
  const whole = Math.floor(Math.max(0, fraction) * 100 + 1e-9) / 100;
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 }).format(
    whole,
  );
}

/** Milliseconds as "850 ms" or "2.4 s"; "—" when unknown. */
export function formatDuration(ms: number | null | undefined, locale?: string): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${formatInteger(ms, locale)} ms`;
  const seconds = new Intl.NumberFormat(locale, {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(ms / 1000);
  return `${seconds} s`;
}

/** An instant (ISO text) as a short date and time, in the given time zone (the browser's by default). */
export function formatDateTime(iso: string, locale?: string, timeZone?: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "short",
    ...(timeZone ? { timeZone } : {}),
  }).format(at);
}

/** A local day ("2026-07-03") as "Jul 3", or with `long` as "Friday, July 3, 2026". */
export function formatDay(day: string, locale?: string, long = false): string {
  const [year, month, date] = day.split("-").map(Number);
  if (!year || !month || !date) return day;
  // The day is a calendar date, not an instant: format it at noon UTC, in UTC.
  const at = new Date(Date.UTC(year, month - 1, date, 12));
  return new Intl.DateTimeFormat(
    locale,
    long
      ? { weekday: "long", year: "numeric", month: "long", day: "numeric", timeZone: "UTC" }
      : { month: "short", day: "numeric", timeZone: "UTC" },
  ).format(at);
}

/** A month period ("2026-07") as "July 2026". */
export function formatMonth(period: string, locale?: string): string {
  const [year, month] = period.split("-").map(Number);
  if (!year || !month) return period;
  return new Intl.DateTimeFormat(locale, {
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(year, month - 1, 15)));
}

/** Tokens in and out as "1,234 → 567". */
export function formatTokens(input: number, output: number, locale?: string): string {
  return `${formatInteger(input, locale)} → ${formatInteger(output, locale)}`;
}
