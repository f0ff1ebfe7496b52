import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BudgetGuard } from "../../server/budget/guard.ts";
import { combinePolicies, EMPTY_POLICY } from "../../server/budget/policy.ts";
import { spendAgainstCaps } from "../../server/budget/report.ts";
import { type Db, openDatabase } from "../../server/ledger/db.ts";

const USD = 1e12;
const NOW = Date.parse("2026-11-22T15:00:00Z");
const VISITOR = "visitor-settler-0001";
const POLICY = combinePolicies(
  {
    ...EMPTY_POLICY,
    dayCapPicoUsd: 10 * USD,
    monthCapPicoUsd: 10 * USD,
    visitorDayCapPicoUsd: 10 * USD,
    timezone: "Europe/Paris",
  },
  EMPTY_POLICY,
);

const dir = mkdtempSync(join(tmpdir(), "sluice-settle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function setup(ttlMs = 60_000) {
  files += 1;
  const path = join(dir, `budget-${files}.db`);
  const db = openDatabase(path);
  const guard = new BudgetGuard(db, { reservationTtlMs: ttlMs });
  const reserve = (requestId: string, amountUsd: number) =>
    expect(
      guard.reserve({
        requestId,
        siteId: "site",
        visitor: VISITOR,
        amountPicoUsd: amountUsd * USD,
        policy: POLICY,
        now: NOW,
      }),
    ).toBeUndefined();
  return { db, path, guard, reserve };
}

/** Settled and reserved USD of the day, the month and the visitor's day, as the caps see them. */
function counters(guard: BudgetGuard) {
  const { today, month } = spendAgainstCaps(guard, "site", POLICY, NOW);
  const visitorCap = POLICY.visitorDayCapPicoUsd ?? 0;
  const visitorRoom = guard.headroom(
    "site",
    VISITOR,
    { ...POLICY, dayCapPicoUsd: null, monthCapPicoUsd: null },
    NOW,
  );
  return {
    day: { settled: today.settled_usd, reserved: today.reserved_usd },
    month: { settled: month.settled_usd, reserved: month.reserved_usd },
    visitorUsed: (visitorCap - visitorRoom.remainingPicoUsd) / USD,
  };
}

const charged = (settled: number) => ({
  day: { settled, reserved: 0 },
  month: { settled, reserved: 0 },
  visitorUsed: settled,
});

describe("settling a request that is no longer open", () => {
  it("a second settlement (recovery billed an estimate, then the stream ended) leaves the last amount", () => {
    const { guard, reserve } = setup();
    reserve("req_twice", 0.9);
    guard.settle("req_twice", 0.3 * USD);
    expect(counters(guard)).toEqual(charged(0.3));
    guard.settle("req_twice", 0.5 * USD);
    expect(counters(guard)).toEqual(charged(0.5));
    guard.settle("req_twice", 0.2 * USD);
    guard.settle("req_twice", 0.2 * USD);
    expect(counters(guard)).toEqual(charged(0.2));
  });

  it("a reservation released at its time-out is still charged its cost, also when settled again", () => {
    const { guard, reserve } = setup(1000);
    reserve("req_late", 0.9);
    expect(guard.releaseExpired(NOW + 1000)).toBe(1);
    expect(counters(guard)).toEqual(charged(0));
    guard.settle("req_late", 0.2 * USD);
    expect(counters(guard)).toEqual(charged(0.2));
    guard.settle("req_late", 0.4 * USD);
    expect(counters(guard)).toEqual(charged(0.4));
  });

  it("releasing an expired reservation leaves nothing reserved, however often it runs", () => {
    const { guard, reserve } = setup(1000);
    reserve("req_held", 0.9);
    expect(counters(guard).day.reserved).toBe(0.9);
    expect(guard.releaseExpired(NOW + 999)).toBe(0);
    expect(guard.releaseExpired(NOW + 1000)).toBe(1);
    expect(guard.releaseExpired(NOW + 2000)).toBe(0);
    expect(counters(guard)).toEqual(charged(0));
    guard.settle("req_held", 0.1 * USD);
    expect(counters(guard)).toEqual(charged(0.1));
  });

  it("forgets what a request was charged after 40 days, and a reservation released but never settled", () => {
    const { db, guard, reserve } = setup(1000);
    reserve("req_settled", 0.5);
    guard.settle("req_settled", 0.5 * USD);
    reserve("req_lost", 0.5);
    expect(guard.releaseExpired(NOW + 39 * 86_400_000)).toBe(1);
    const rows = () => ({
      charges: db.prepare("SELECT COUNT(*) FROM budget_charges").pluck().get(),
      reservations: db.prepare("SELECT COUNT(*) FROM reservations").pluck().get(),
    });
    expect(rows()).toEqual({ charges: 1, reservations: 1 });
    expect(guard.releaseExpired(NOW + 41 * 86_400_000)).toBe(0);
    expect(rows()).toEqual({ charges: 0, reservations: 0 });
    expect(counters(guard)).toEqual(charged(0.5));
  });

  it("a reservation another process settles as this one releases it is released once, not twice", () => {
    const { db, path, guard: other } = setup(1000);
    // This process's guard, on its own connection; the other process settles just as this
    // one's release begins its transaction.
    const mine = openDatabase(path);
    let interleave: (() => void) | undefined;
    interceptTransactions(mine, () => {
      const work = interleave;
      interleave = undefined;
      work?.();
    });
    const guard = new BudgetGuard(mine, { reservationTtlMs: 1000 });
    expect(
      guard.reserve({
        requestId: "req_raced",
        siteId: "site",
        visitor: VISITOR,
        amountPicoUsd: 0.9 * USD,
        policy: POLICY,
        now: NOW,
      }),
    ).toBeUndefined();
    interleave = () => db.transaction(() => other.settle("req_raced", 0.3 * USD))();
    expect(() => guard.releaseExpired(NOW + 1000)).not.toThrow();
    expect(counters(guard)).toEqual(charged(0.3));
    mine.close();
    db.close();
  });
});

/** Runs `before` each time a transaction of `db` is entered (made before or after this call). */
function interceptTransactions(db: Db, before: () => void): void {
  const make = db.transaction.bind(db);
  db.transaction = ((work: (...args: never[]) => unknown) => {
    const transaction = make(work);
    const wrap =
      (run: (...args: never[]) => unknown) =>
      (...args: never[]) => {
        before();
        return run(...args);
      };
    return Object.assign(wrap(transaction), {
      default: wrap(transaction.default),
      deferred: wrap(transaction.deferred),
      immediate: wrap(transaction.immediate),
      exclusive: wrap(transaction.exclusive),
    });
  }) as Db["transaction"];
}
