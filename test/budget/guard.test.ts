import { describe, expect, it } from "vitest";
import { BudgetGuard } from "../../server/budget/guard.ts";
import { calendarWindow, periodsAt, recentDays } from "../../server/budget/periods.ts";
import { combinePolicies, EMPTY_POLICY, type Policy } from "../../server/budget/policy.ts";
import { openDatabase } from "../../server/ledger/db.ts";

const USD = 1e12;

function setup(policy: Partial<Policy>, ttlMs = 60_000) {
  const db = openDatabase(":memory:");
  const guard = new BudgetGuard(db, { reservationTtlMs: ttlMs });
  const effective = combinePolicies({ ...EMPTY_POLICY, ...policy }, EMPTY_POLICY);
  let sequence = 0;
  const reserve = (amountUsd: number, now: number, visitor?: string) => {
    sequence += 1;
    const requestId = `req_${sequence}`;
    const breach = guard.reserve({
      requestId,
      siteId: "site",
      visitor,
      amountPicoUsd: amountUsd * USD,
      policy: effective,
      now,
    });
    return { requestId, breach };
  };
  /** Spend in a local day (`YYYY-MM-DD`) or month (`YYYY-MM`) of the policy's time zone. */
  const spendIn = (period: string) =>
    guard.spend(
      "site",
      period.length === 7 ? "month" : "day",
      calendarWindow(period, effective.timezone),
    );
  return { db, guard, effective, reserve, spendIn };
}

describe("periods in a site's time zone", () => {
  it("roll the day over at local midnight, not UTC midnight", () => {
    // 23:30 in New York on 22 November is 04:30 UTC on the 23rd.
    const late = periodsAt(Date.parse("2026-11-23T04:30:00Z"), "America/New_York");
    expect(late.day).toBe("2026-11-22");
    expect(new Date(late.dayEndsAt).toISOString()).toBe("2026-11-23T05:00:00.000Z");
    const after = periodsAt(Date.parse("2026-11-23T05:00:00Z"), "America/New_York");
    expect(after.day).toBe("2026-11-23");
  });

  it("roll the month over on the first, across a daylight-saving change", () => {
    const lastOfOctober = periodsAt(Date.parse("2026-10-31T22:30:00Z"), "Europe/Berlin");
    expect(lastOfOctober.day).toBe("2026-10-31");
    expect(new Date(lastOfOctober.monthEndsAt).toISOString()).toBe("2026-10-31T23:00:00.000Z");
    const firstOfNovember = periodsAt(Date.parse("2026-10-31T23:00:00Z"), "Europe/Berlin");
    expect(firstOfNovember.month).toBe("2026-11");
    // 25 October 2026 had 25 hours in Berlin.
    const longDay = recentDays(Date.parse("2026-10-25T12:00:00Z"), "Europe/Berlin", 1)[0];
    expect((longDay?.to ?? 0) - (longDay?.from ?? 0)).toBe(25 * 3_600_000);
  });

  it("list recent local days oldest first", () => {
    const days = recentDays(Date.parse("2026-03-02T10:00:00Z"), "Asia/Kolkata", 3).map(
      (day) => day.day,
    );
    expect(days).toEqual(["2026-02-28", "2026-03-01", "2026-03-02"]);
  });
});

describe("BudgetGuard", () => {
  const now = Date.parse("2026-11-22T15:00:00Z");

  it("reserves against the day cap until it is full, then names the cap and its reset", () => {
    const { reserve } = setup({ dayCapPicoUsd: 1 * USD, timezone: "America/New_York" });
    expect(reserve(0.4, now).breach).toBeUndefined();
    expect(reserve(0.4, now).breach).toBeUndefined();
    const refused = reserve(0.4, now).breach;
    expect(refused).toMatchObject({ scope: "day", capPicoUsd: USD, usedPicoUsd: 0.8 * USD });
    expect(new Date(refused?.resetsAt ?? 0).toISOString()).toBe("2026-11-23T05:00:00.000Z");
    expect(reserve(0.2, now).breach).toBeUndefined();
  });

  it("settles the actual cost and frees the rest of the reservation", () => {
    const { guard, reserve, spendIn } = setup({ dayCapPicoUsd: 1 * USD });
    const first = reserve(0.9, now);
    expect(reserve(0.2, now).breach).toBeDefined();
    guard.settle(first.requestId, 0.3 * USD);
    expect(spendIn("2026-11-22")).toEqual({ settled: 0.3 * USD, reserved: 0 });
    expect(reserve(0.7, now).breach).toBeUndefined();
    expect(reserve(0.01, now).breach?.scope).toBe("day");
  });

  it("charges a settlement to the day the request started in, even after midnight", () => {
    const { guard, reserve, spendIn } = setup({
      dayCapPicoUsd: 1 * USD,
      timezone: "America/New_York",
    });
    const beforeMidnight = Date.parse("2026-11-23T04:59:00Z");
    const late = reserve(0.5, beforeMidnight);
    guard.settle(late.requestId, 0.5 * USD);
    expect(spendIn("2026-11-22").settled).toBe(0.5 * USD);
    expect(spendIn("2026-11-23").settled).toBe(0);
    // The next local day starts with a full cap; the month keeps counting.
    expect(reserve(0.9, Date.parse("2026-11-23T05:01:00Z")).breach).toBeUndefined();
    expect(spendIn("2026-11").reserved).toBe(0.9 * USD);
  });

  it("keeps the month cap across days", () => {
    const { guard, reserve } = setup({ monthCapPicoUsd: 1 * USD, timezone: "UTC" });
    guard.settle(reserve(0.6, Date.parse("2026-11-01T10:00:00Z")).requestId, 0.6 * USD);
    expect(reserve(0.6, Date.parse("2026-11-20T10:00:00Z")).breach?.scope).toBe("month");
    expect(reserve(0.6, Date.parse("2026-12-01T00:00:00Z")).breach).toBeUndefined();
  });

  it("limits each visitor per day without limiting the others", () => {
    const { reserve } = setup({ visitorDayCapPicoUsd: 1 * USD });
    expect(reserve(0.8, now, "visitor-aaaa").breach).toBeUndefined();
    expect(reserve(0.8, now, "visitor-aaaa").breach?.scope).toBe("visitor_day");
    expect(reserve(0.8, now, "visitor-bbbb").breach).toBeUndefined();
  });

  it("refuses a single request above the per-request ceiling", () => {
    const { reserve } = setup({ requestCapPicoUsd: 0.1 * USD });
    expect(reserve(0.2, now).breach).toMatchObject({ scope: "request", resetsAt: null });
    expect(reserve(0.1, now).breach).toBeUndefined();
  });

  it("releases reservations held past their time-out", () => {
    const { guard, reserve, spendIn } = setup({ dayCapPicoUsd: 1 * USD }, 1000);
    const stuck = reserve(0.9, now);
    expect(reserve(0.5, now + 10).breach).toBeDefined();
    expect(guard.releaseExpired(now + 999)).toBe(0);
    expect(guard.releaseExpired(now + 1000)).toBe(1);
    expect(reserve(0.5, now + 1001).breach).toBeUndefined();
    // A late settlement of the released request still counts its real cost.
    guard.settle(stuck.requestId, 0.2 * USD);
    expect(spendIn("2026-11-22")).toEqual({
      settled: 0.2 * USD,
      reserved: 0.5 * USD,
    });
  });
});

describe("policy layers", () => {
  it("combine to the stricter of each cap and the intersection of allowlists", () => {
    const operator = {
      ...EMPTY_POLICY,
      dayCapPicoUsd: 5 * USD,
      models: ["a/x", "b/y"],
      timezone: "UTC",
    };
    const site = {
      ...EMPTY_POLICY,
      dayCapPicoUsd: 2 * USD,
      monthCapPicoUsd: 9 * USD,
      models: ["b/y", "c/z"],
    };
    const effective = combinePolicies(operator, site);
    expect(effective).toMatchObject({
      dayCapPicoUsd: 2 * USD,
      monthCapPicoUsd: 9 * USD,
      models: ["b/y"],
      softThreshold: 0.8,
      timezone: "UTC",
    });
  });
});
