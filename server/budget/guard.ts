import type { Db } from "../ledger/db.ts";
import { convertLegacyCounters } from "./legacy-counters.ts";
import { keyEndingAfter, type Periods, padTime, periodsAt } from "./periods.ts";
import type { EffectivePolicy } from "./policy.ts";

export type CapScope = "day" | "month" | "visitor_day" | "request";

/** Which cap a request would break, and when it resets (null for the per-request ceiling). */
export interface CapBreach {
  scope: CapScope;
  capPicoUsd: number;
  /** Settled plus reserved spend in the cap's period. */
  usedPicoUsd: number;
  resetsAt: number | null;
}

/** What a site may still spend now: the tightest of its caps, and which cap that is. */
export interface Headroom {
  /** picoUSD; Infinity when no cap applies. */
  remainingPicoUsd: number;
  binding: CapBreach | undefined;
}

export interface ReservationRequest {
  requestId: string;
  siteId: string;
  visitor: string | undefined;
  amountPicoUsd: number;
  policy: EffectivePolicy;
  now: number;
}

/** A spend window in absolute time, `[startsAt, endsAt)` (unix ms). */
export interface SpendWindow {
  startsAt: number;
  endsAt: number;
}

/** The counter keys a request is charged to (see periods.ts windowKey). */
interface ChargedPeriods {
  site_id: string;
  day: string;
  month: string;
  visitor_period: string | null;
}

interface ReservationRow extends ChargedPeriods {
  request_id: string;
  amount_picousd: number;
  created_at: number;
}

interface ChargeRow extends ChargedPeriods {
  settled_picousd: number;
}

/**
 * The longest a window can be, so that a look-up stops at the windows that
 * can still overlap the current one: a day is at most 25 hours (a repeated
 * date when a zone jumps back across the date line, 48), a month 31 days
 * and one, plus a day for such a jump.
 */
const LONGEST_WINDOW_MS: Record<"day" | "month", number> = {
  day: 50 * 3_600_000,
  month: 33 * 86_400_000,
};

/** How long a settled request's charge is kept, so that a late second settlement corrects it. */
const CHARGE_RETENTION_MS = 40 * 86_400_000;

/**
 * Reserve, then settle. Before the upstream call, a request reserves its worst
 * case against every cap in one SQLite transaction; it is refused if it does
 * not fit. After the stream, settlement replaces the reservation with the
 * actual cost.
 *
 * Counters are keyed by their window in absolute time, not by a local date,
 * and a cap counts every counter of its scope whose window overlaps the
 * current one: a site that switches its time zone cannot open a fresh day
 * (or month) that overlaps one it has already spent in. A look-up is one
 * range of the primary key, usually a single row.
 */
export class BudgetGuard {
  readonly #db: Db;
  readonly #spendIn;
  readonly #addReserved;
  readonly #addSettled;
  readonly #insertReservation;
  readonly #takeReservation;
  readonly #insertCharge;
  readonly #selectCharge;
  readonly #updateCharge;
  readonly #releaseExpiredNow;
  readonly #reserveNow;
  readonly #reservationTtlMs: number;

  /** Counters an older version keyed by local date are moved to their windows first (once). */
  constructor(db: Db, options: { reservationTtlMs: number }) {
    convertLegacyCounters(db);
    this.#db = db;
    this.#reservationTtlMs = options.reservationTtlMs;
    // Windows ending after the current one starts (the key range), that start before it ends.
    this.#spendIn = db.prepare(
      `SELECT COALESCE(SUM(settled_picousd), 0) AS settled, COALESCE(SUM(reserved_picousd), 0) AS reserved
       FROM spend_counters
       WHERE site_id = ? AND scope = ? AND period >= ? AND period < ?
         AND CAST(substr(period, -15) AS INTEGER) < ?`,
    );
    this.#addReserved = db.prepare(
      `INSERT INTO spend_counters (site_id, scope, period, reserved_picousd) VALUES (?, ?, ?, ?)
       ON CONFLICT (site_id, scope, period) DO UPDATE SET reserved_picousd = reserved_picousd + excluded.reserved_picousd`,
    );
    this.#addSettled = db.prepare(
      `INSERT INTO spend_counters (site_id, scope, period, settled_picousd, reserved_picousd) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (site_id, scope, period) DO UPDATE SET
         settled_picousd = settled_picousd + excluded.settled_picousd,
         reserved_picousd = reserved_picousd + excluded.reserved_picousd`,
    );
    this.#insertReservation = db.prepare(
      `INSERT INTO reservations (request_id, site_id, day, month, visitor_period, amount_picousd, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#takeReservation = db.prepare(
      `DELETE FROM reservations WHERE request_id = ?
       RETURNING request_id, site_id, day, month, visitor_period, amount_picousd, created_at`,
    );
    this.#insertCharge = db.prepare(
      `INSERT INTO budget_charges (request_id, site_id, day, month, visitor_period, settled_picousd, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#selectCharge = db.prepare(
      "SELECT site_id, day, month, visitor_period, settled_picousd FROM budget_charges WHERE request_id = ?",
    );
    this.#updateCharge = db.prepare(
      "UPDATE budget_charges SET settled_picousd = ? WHERE request_id = ?",
    );
    const expired = db.prepare(
      `SELECT request_id, site_id, day, month, visitor_period, amount_picousd, created_at
       FROM reservations WHERE expires_at <= ? AND amount_picousd > 0`,
    );
    const release = db.prepare("UPDATE reservations SET amount_picousd = 0 WHERE request_id = ?");
    const purgeCharges = db.prepare("DELETE FROM budget_charges WHERE created_at < ?");
    // A released reservation whose request never settled (a lost process): nothing is held.
    const purgeReleased = db.prepare(
      "DELETE FROM reservations WHERE expires_at < ? AND amount_picousd = 0",
    );
    // Listed and released in one write transaction: no other process settles or releases in between.
    this.#releaseExpiredNow = db.transaction((now: number) => {
      const rows = expired.all(now) as ReservationRow[];
      for (const row of rows) {
        this.#charge(row, 0, -row.amount_picousd);
        release.run(row.request_id);
      }
      purgeCharges.run(now - CHARGE_RETENTION_MS);
      purgeReleased.run(now - CHARGE_RETENTION_MS);
      return rows.length;
    });
    this.#reserveNow = db.transaction((request: ReservationRequest) => this.#reserveIn(request));
  }

  /** How much the site (and this visitor) may still spend right now. */
  headroom(
    siteId: string,
    visitor: string | undefined,
    policy: EffectivePolicy,
    now: number,
  ): Headroom {
    return this.#headroomIn(siteId, visitor, policy, periodsAt(now, policy.timezone));
  }

  /**
   * Reserves `amountPicoUsd` against every cap, atomically. Returns the cap
   * it would break instead, reserving nothing.
   */
  reserve(request: ReservationRequest): CapBreach | undefined {
    // Inside the caller's transaction (admission), no savepoint of its own is needed.
    if (this.#db.inTransaction) return this.#reserveIn(request);
    return this.#reserveNow.immediate(request) as CapBreach | undefined;
  }

  /**
   * Charges a request its actual cost, in the windows it reserved in, and
   * frees its reservation. Call inside the transaction that settles the
   * ledger row. A request settled again (start-up recovery billed an
   * estimate, then the stream settled) is charged the difference, so the
   * counters hold the last amount; a released reservation is still charged.
   */
  settle(requestId: string, actualPicoUsd: number): void {
    const held = this.#takeReservation.get(requestId) as ReservationRow | undefined;
    if (held) {
      this.#charge(held, actualPicoUsd, -held.amount_picousd);
      this.#insertCharge.run(
        requestId,
        held.site_id,
        held.day,
        held.month,
        held.visitor_period,
        actualPicoUsd,
        held.created_at,
      );
      return;
    }
    const charged = this.#selectCharge.get(requestId) as ChargeRow | undefined;
    if (!charged || charged.settled_picousd === actualPicoUsd) return;
    this.#charge(charged, actualPicoUsd - charged.settled_picousd, 0);
    this.#updateCharge.run(actualPicoUsd, requestId);
  }

  /**
   * Frees reservations held past their time-out (their request is charged
   * when it settles, if ever), and forgets charges too old to be settled again.
   */
  releaseExpired(now: number): number {
    return this.#releaseExpiredNow.immediate(now) as number;
  }

  /**
   * Settled and reserved spend of a site in every window of the scope that
   * overlaps `window`: what its cap is checked against.
   */
  spend(
    siteId: string,
    scope: "day" | "month",
    window: SpendWindow,
  ): { settled: number; reserved: number } {
    return this.#spendOverlapping(siteId, scope, "", window);
  }

  #headroomIn(
    siteId: string,
    visitor: string | undefined,
    policy: EffectivePolicy,
    periods: Periods,
  ): Headroom {
    let remainingPicoUsd = Number.POSITIVE_INFINITY;
    let binding: CapBreach | undefined;
    const consider = (
      scope: CapScope,
      cap: number | null,
      prefix: string,
      startsAt: number,
      endsAt: number,
    ) => {
      if (cap === null) return;
      const { settled, reserved } = this.#spendOverlapping(siteId, scope, prefix, {
        startsAt,
        endsAt,
      });
      const used = settled + reserved;
      if (cap - used < remainingPicoUsd) {
        remainingPicoUsd = cap - used;
        binding = { scope, capPicoUsd: cap, usedPicoUsd: used, resetsAt: endsAt };
      }
    };
    const { dayStartsAt, dayEndsAt } = periods;
    consider("day", policy.dayCapPicoUsd, "", dayStartsAt, dayEndsAt);
    consider("month", policy.monthCapPicoUsd, "", periods.monthStartsAt, periods.monthEndsAt);
    if (visitor !== undefined) {
      const prefix = visitorPrefix(visitor);
      consider("visitor_day", policy.visitorDayCapPicoUsd, prefix, dayStartsAt, dayEndsAt);
    }
    return { remainingPicoUsd: Math.max(0, remainingPicoUsd), binding };
  }

  #reserveIn(request: ReservationRequest): CapBreach | undefined {
    const { requestId, siteId, visitor, amountPicoUsd, policy, now } = request;
    const cap = policy.requestCapPicoUsd;
    if (cap !== null && amountPicoUsd > cap) {
      return { scope: "request", capPicoUsd: cap, usedPicoUsd: 0, resetsAt: null };
    }
    const periods = periodsAt(now, policy.timezone);
    const room = this.#headroomIn(siteId, visitor, policy, periods);
    if (room.binding && amountPicoUsd > room.remainingPicoUsd) return room.binding;
    const visitorKey = visitor === undefined ? null : visitorPrefix(visitor) + periods.dayKey;
    this.#addReserved.run(siteId, "day", periods.dayKey, amountPicoUsd);
    this.#addReserved.run(siteId, "month", periods.monthKey, amountPicoUsd);
    if (visitorKey !== null) {
      this.#addReserved.run(siteId, "visitor_day", visitorKey, amountPicoUsd);
    }
    this.#insertReservation.run(
      requestId,
      siteId,
      periods.dayKey,
      periods.monthKey,
      visitorKey,
      amountPicoUsd,
      now,
      now + this.#reservationTtlMs,
    );
    return undefined;
  }

  /** Adds to the settled and reserved spend of every window a request was charged to. */
  #charge(periods: ChargedPeriods, settled: number, reserved: number): void {
    this.#addSettled.run(periods.site_id, "day", periods.day, settled, reserved);
    this.#addSettled.run(periods.site_id, "month", periods.month, settled, reserved);
    if (periods.visitor_period !== null) {
      this.#addSettled.run(
        periods.site_id,
        "visitor_day",
        periods.visitor_period,
        settled,
        reserved,
      );
    }
  }

  #spendOverlapping(
    siteId: string,
    scope: CapScope,
    prefix: string,
    window: SpendWindow,
  ): { settled: number; reserved: number } {
    const longest = LONGEST_WINDOW_MS[scope === "month" ? "month" : "day"];
    return this.#spendIn.get(
      siteId,
      scope,
      prefix + keyEndingAfter(window.startsAt),
      prefix + padTime(window.endsAt + longest + 1),
      window.endsAt,
    ) as { settled: number; reserved: number };
  }
}

/** Visitor counters are the visitor id, `|`, then the window key (ids hold no `|`). */
function visitorPrefix(visitor: string): string {
  return `${visitor}|`;
}
