import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { BudgetGuard } from "../../server/budget/guard.ts";
import { EMPTY_POLICY, PolicyStore } from "../../server/budget/policy.ts";
import { spendAgainstCaps } from "../../server/budget/report.ts";
import { openDatabase } from "../../server/ledger/db.ts";
import { MIGRATIONS } from "../../server/ledger/migrations.ts";

const USD = 1e12;
const dir = mkdtempSync(join(tmpdir(), "sluice-legacy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A database as the release before window keys left it: its first two migrations only. */
function releasedDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.exec(
    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
  );
  for (const [index, sql] of MIGRATIONS.slice(0, 2).entries()) {
    db.exec(sql);
    db.prepare("INSERT INTO schema_migrations VALUES (?, ?)").run(index + 1, 0);
  }
  return db;
}

describe("an upgrade from counters keyed by local date", () => {
  it("keeps today's, this month's and each visitor's spend, and the reservations still held", () => {
    const path = join(dir, "upgraded.db");
    const old = releasedDatabase(path);
    // 23:30 in Tokyo on 22 November; the site's layer sets its zone.
    const now = Date.parse("2026-11-22T14:30:00Z");
    const policies = new PolicyStore(old);
    policies.set("site", "operator", {
      ...EMPTY_POLICY,
      dayCapPicoUsd: 2 * USD,
      monthCapPicoUsd: 20 * USD,
      visitorDayCapPicoUsd: 1 * USD,
    });
    policies.set("site", "site", { ...EMPTY_POLICY, timezone: "Asia/Tokyo" });
    const counter = old.prepare(
      "INSERT INTO spend_counters (site_id, scope, period, settled_picousd, reserved_picousd) VALUES (?, ?, ?, ?, ?)",
    );
    counter.run("site", "day", "2026-11-21", 1.9 * USD, 0);
    counter.run("site", "day", "2026-11-22", 1.2 * USD, 0.3 * USD);
    counter.run("site", "month", "2026-11", 7 * USD, 0.3 * USD);
    counter.run("site", "visitor_day", "visitor-old-0001|2026-11-22", 0.6 * USD, 0.3 * USD);
    old
      .prepare(
        `INSERT INTO reservations (request_id, site_id, day, month, visitor_period, amount_picousd, created_at, expires_at)
         VALUES ('req_held', 'site', '2026-11-22', '2026-11', 'visitor-old-0001|2026-11-22', ?, ?, ?)`,
      )
      .run(0.3 * USD, now - 60_000, now + 600_000);
    const effective = policies.effective("site", now);
    old.close();

    const db = openDatabase(path);
    const guard = new BudgetGuard(db, { reservationTtlMs: 900_000 });
    expect(spendAgainstCaps(guard, "site", effective, now)).toEqual({
      today: {
        period: "2026-11-22",
        settled_usd: 1.2,
        reserved_usd: 0.3,
        cap_usd: 2,
        used_fraction: 0.75,
        warning: false,
        resets_at: "2026-11-22T15:00:00.000Z",
      },
      month: {
        period: "2026-11",
        settled_usd: 7,
        reserved_usd: 0.3,
        cap_usd: 20,
        used_fraction: 0.365,
        warning: false,
        resets_at: "2026-11-30T15:00:00.000Z",
      },
    });
    // The visitor's 0.6 + 0.3 of 1 binds before the site's day (1.5 of 2).
    expect(guard.headroom("site", "visitor-old-0001", effective, now)).toEqual({
      remainingPicoUsd: 0.1 * USD,
      binding: {
        scope: "visitor_day",
        capPicoUsd: 1 * USD,
        usedPicoUsd: 0.9 * USD,
        resetsAt: Date.parse("2026-11-22T15:00:00Z"),
      },
    });

    // The reservation held over the upgrade settles into the same counters.
    guard.settle("req_held", 0.1 * USD);
    const settled = spendAgainstCaps(guard, "site", effective, now);
    expect(settled.today).toMatchObject({ settled_usd: 1.3, reserved_usd: 0 });
    expect(settled.month).toMatchObject({ settled_usd: 7.1, reserved_usd: 0 });
    expect(guard.headroom("site", "visitor-old-0001", effective, now).remainingPicoUsd).toBe(
      0.3 * USD,
    );
    // Tomorrow in Tokyo starts empty; a second guard (the CLI) converts nothing again.
    const tomorrow = Date.parse("2026-11-22T15:00:00Z");
    const next = new BudgetGuard(db, { reservationTtlMs: 900_000 });
    expect(spendAgainstCaps(next, "site", effective, tomorrow).today.settled_usd).toBe(0);
    expect(spendAgainstCaps(next, "site", effective, tomorrow).month.settled_usd).toBe(7.1);
    db.close();
  });
});
