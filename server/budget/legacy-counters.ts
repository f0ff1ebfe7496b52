import type { Db } from "../ledger/db.ts";
import { calendarWindow, windowKey } from "./periods.ts";
import { PolicyStore } from "./policy.ts";

const LEGACY_DAY = /^\d{4}-\d{2}-\d{2}$/;
const LEGACY_MONTH = /^\d{4}-\d{2}$/;

interface LegacyCounter {
  site_id: string;
  scope: string;
  period: string;
  settled_picousd: number;
  reserved_picousd: number;
}

interface HeldReservation {
  request_id: string;
  site_id: string;
  day: string;
  month: string;
  visitor_period: string | null;
}

/**
 * Versions before window keys counted spend by local date (`YYYY-MM-DD`,
 * `YYYY-MM`, `<visitor>|YYYY-MM-DD`); the migration to window keys set those
 * counters aside in `legacy_spend_counters`. This moves them (and the keys of
 * reservations still held) to the windows their dates have in each site's
 * current time zone, so an upgrade keeps the day's and the month's spend.
 * Runs once, in one write transaction; afterwards it is one catalogue look-up.
 * Returns how many counters were moved.
 */
export function convertLegacyCounters(db: Db): number {
  const pending = () =>
    db
      .prepare(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'legacy_spend_counters'",
      )
      .get() !== undefined;
  if (!pending()) return 0;
  const convert = db.transaction(() => {
    // Another process may have converted them while this one waited for the lock.
    if (!pending()) return 0;
    const policies = new PolicyStore(db);
    const zones = new Map<string, string>();
    const zoneOf = (siteId: string) => {
      let zone = zones.get(siteId);
      if (zone === undefined) {
        zone = policies.effective(siteId).timezone;
        zones.set(siteId, zone);
      }
      return zone;
    };
    const counters = db.prepare("SELECT * FROM legacy_spend_counters").all() as LegacyCounter[];
    const add = db.prepare(
      `INSERT INTO spend_counters (site_id, scope, period, settled_picousd, reserved_picousd) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (site_id, scope, period) DO UPDATE SET
         settled_picousd = settled_picousd + excluded.settled_picousd,
         reserved_picousd = reserved_picousd + excluded.reserved_picousd`,
    );
    let moved = 0;
    for (const counter of counters) {
      const period = windowPeriod(counter.scope, counter.period, zoneOf(counter.site_id));
      if (period === undefined) continue;
      add.run(
        counter.site_id,
        counter.scope,
        period,
        counter.settled_picousd,
        counter.reserved_picousd,
      );
      moved += 1;
    }
    const held = db
      .prepare("SELECT request_id, site_id, day, month, visitor_period FROM reservations")
      .all() as HeldReservation[];
    const rekey = db.prepare(
      "UPDATE reservations SET day = ?, month = ?, visitor_period = ? WHERE request_id = ?",
    );
    for (const row of held) {
      if (!LEGACY_DAY.test(row.day)) continue;
      const zone = zoneOf(row.site_id);
      rekey.run(
        windowPeriod("day", row.day, zone) ?? row.day,
        windowPeriod("month", row.month, zone) ?? row.month,
        row.visitor_period === null
          ? null
          : (windowPeriod("visitor_day", row.visitor_period, zone) ?? row.visitor_period),
        row.request_id,
      );
    }
    db.exec("DROP TABLE legacy_spend_counters");
    return moved;
  });
  return convert.immediate() as number;
}

/** A legacy period as a window key in the zone; undefined when it is not one. */
function windowPeriod(scope: string, period: string, timeZone: string): string | undefined {
  const key = (calendar: string) => {
    const { startsAt, endsAt } = calendarWindow(calendar, timeZone);
    return windowKey(startsAt, endsAt);
  };
  if (scope === "day" && LEGACY_DAY.test(period)) return key(period);
  if (scope === "month" && LEGACY_MONTH.test(period)) return key(period);
  if (scope === "visitor_day") {
    const split = period.lastIndexOf("|");
    const day = period.slice(split + 1);
    if (split > 0 && LEGACY_DAY.test(day)) return period.slice(0, split + 1) + key(day);
  }
  return undefined;
}
