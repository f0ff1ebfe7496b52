import { describe, expect, it } from "vitest";
import { BudgetGuard } from "../../server/budget/guard.ts";
import {
  EMPTY_POLICY,
  looserThanOperator,
  type Policy,
  PolicyStore,
} from "../../server/budget/policy.ts";
import { applyPolicyInput } from "../../server/budget/policy-json.ts";
import { openDatabase } from "../../server/ledger/db.ts";

const USD = 1e12;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const SITE = "flipper";
const VISITOR = "visitor-flipper-0001";

/** The two ends of the world's clocks, as IANA zones (Etc/ signs are inverted). */
const ZONES = [
  { name: "Etc/GMT-14", offsetMs: 14 * HOUR_MS },
  { name: "Etc/GMT+12", offsetMs: -12 * HOUR_MS },
] as const;
type Zone = (typeof ZONES)[number];

interface Spend {
  at: number;
  zone: Zone;
  amountPicoUsd: number;
}

/** The local day or month of a fixed-offset zone holding `at`, computed here, not by the gateway. */
function windowOf(kind: "day" | "month", at: number, zone: Zone): [number, number] {
  const local = at + zone.offsetMs;
  if (kind === "day") {
    const start = Math.floor(local / DAY_MS) * DAY_MS - zone.offsetMs;
    return [start, start + DAY_MS];
  }
  const date = new Date(local);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  return [Date.UTC(year, month, 1) - zone.offsetMs, Date.UTC(year, month + 1, 1) - zone.offsetMs];
}

/**
 * The most spent in windows that share one moment: for one fixed zone, the
 * spend of its fullest day (or month). Spend is counted in the window of the
 * zone in force when it was made; a sum over windows containing a moment
 * peaks at some window's start.
 */
function fullestMoment(kind: "day" | "month", spends: Spend[]): number {
  const windows = spends.map((spend) => ({
    window: windowOf(kind, spend.at, spend.zone),
    amount: spend.amountPicoUsd,
  }));
  let fullest = 0;
  for (const { window } of windows) {
    const moment = window[0];
    let total = 0;
    for (const other of windows) {
      if (other.window[0] <= moment && moment < other.window[1]) total += other.amount;
    }
    fullest = Math.max(fullest, total);
  }
  return fullest;
}

/** The most spent in any `spanMs` of time. */
function busiest(spends: Spend[], spanMs: number): number {
  let most = 0;
  for (const first of spends) {
    let total = 0;
    for (const spend of spends) {
      if (spend.at >= first.at && spend.at < first.at + spanMs) total += spend.amountPicoUsd;
    }
    most = Math.max(most, total);
  }
  return most;
}

/**
 * A site admin flips the site's time zone between UTC+14 and UTC−12 through
 * the policy layer (as PUT /v1/policy does) and, at every step of a fixed
 * clock, in each zone, reserves and settles all the headroom it is given.
 */
function flipAndSpend(
  operator: Partial<Policy>,
  options: { from: string; stepMs: number; steps: number; visitor?: string },
) {
  const db = openDatabase(":memory:");
  const policies = new PolicyStore(db);
  const guard = new BudgetGuard(db, { reservationTtlMs: 15 * 60_000 });
  policies.set(SITE, "operator", { ...EMPTY_POLICY, timezone: "UTC", ...operator });
  const spends: Spend[] = [];
  let sequence = 0;
  const start = Date.parse(options.from);
  for (let step = 0; step < options.steps; step += 1) {
    const now = start + step * options.stepMs;
    for (const zone of ZONES) {
      const site = applyPolicyInput(policies.get(SITE, "site"), { timezone: zone.name });
      expect(looserThanOperator(policies.get(SITE, "operator"), site)).toEqual([]);
      policies.set(SITE, "site", site);
      const policy = policies.effective(SITE, now);
      expect(policy.timezone).toBe(zone.name);
      const room = guard.headroom(SITE, options.visitor, policy, now);
      if (!(room.remainingPicoUsd > 0)) continue;
      sequence += 1;
      const requestId = `req_${sequence}`;
      const breach = guard.reserve({
        requestId,
        siteId: SITE,
        visitor: options.visitor,
        amountPicoUsd: room.remainingPicoUsd,
        policy,
        now,
      });
      expect(breach).toBeUndefined();
      guard.settle(requestId, room.remainingPicoUsd);
      spends.push({ at: now, zone, amountPicoUsd: room.remainingPicoUsd });
    }
  }
  db.close();
  const total = spends.reduce((sum, spend) => sum + spend.amountPicoUsd, 0);
  return { spends, total, flips: options.steps * ZONES.length };
}

describe("a site that flips its time zone between UTC+14 and UTC−12", () => {
  it("never spends more than the day cap in day windows that share a moment", () => {
    const cap = 1 * USD;
    const days = 10;
    const { spends, total, flips } = flipAndSpend(
      { dayCapPicoUsd: cap },
      { from: "2026-11-10T00:00:00Z", stepMs: HOUR_MS, steps: days * 24 },
    );
    const fullest = fullestMoment("day", spends);
    const busiestDay = busiest(spends, DAY_MS);
    console.log(
      `day cap $${cap / USD}: ${flips} zone flips over ${days} days, ${spends.length} admitted; ` +
        `spent $${total / USD} in all, at most $${fullest / USD} in the day windows of any moment, ` +
        `$${busiestDay / USD} in the busiest 24 hours`,
    );
    expect(fullest).toBeLessThanOrEqual(cap);
    // The end of one local day and the start of the next, as with a fixed zone; not 3 caps.
    expect(busiestDay).toBeLessThanOrEqual(2 * cap);
    // About one cap a day, as with a fixed zone (the first and last windows reach past the run).
    expect(total).toBeLessThanOrEqual((days + 2) * cap);
  });

  it("never spends more than the month cap in month windows that share a moment", () => {
    const cap = 10 * USD;
    const days = 100;
    const { spends, total, flips } = flipAndSpend(
      { monthCapPicoUsd: cap },
      { from: "2026-10-01T00:00:00Z", stepMs: 2 * HOUR_MS, steps: days * 12 },
    );
    const fullest = fullestMoment("month", spends);
    console.log(
      `month cap $${cap / USD}: ${flips} zone flips over ${days} days, ${spends.length} admitted; ` +
        `spent $${total / USD} in all, at most $${fullest / USD} in the month windows of any moment`,
    );
    expect(fullest).toBeLessThanOrEqual(cap);
    expect(total).toBeLessThanOrEqual(5 * cap);
  });

  it("never lets one visitor spend more than the per-visitor day cap in day windows that share a moment", () => {
    const cap = 0.25 * USD;
    const days = 10;
    const { spends, total, flips } = flipAndSpend(
      { visitorDayCapPicoUsd: cap },
      { from: "2026-11-10T00:00:00Z", stepMs: HOUR_MS, steps: days * 24, visitor: VISITOR },
    );
    const fullest = fullestMoment("day", spends);
    const busiestDay = busiest(spends, DAY_MS);
    console.log(
      `visitor day cap $${cap / USD}: ${flips} zone flips over ${days} days, ${spends.length} admitted; ` +
        `spent $${total / USD} in all, at most $${fullest / USD} in the day windows of any moment, ` +
        `$${busiestDay / USD} in the busiest 24 hours`,
    );
    expect(fullest).toBeLessThanOrEqual(cap);
    expect(busiestDay).toBeLessThanOrEqual(2 * cap);
    expect(total).toBeLessThanOrEqual((days + 2) * cap);
  });
});
