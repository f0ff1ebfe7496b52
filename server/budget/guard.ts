import type { Db } from "../ledger/db.ts";
import { periodsAt } from "./periods.ts";
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

interface CounterRow {
  settled_picousd: number;
  reserved_picousd: number;
}

interface ReservationRow {
  site_id: string;
  day: string;
  month: string;
  visitor_period: string | null;
  amount_picousd: number;
}

/**
 * Reserve, then settle. Before the upstream call, a request reserves its worst
 * case against every cap in one SQLite transaction; it is refused if it does
 * not fit. After the stream, settlement replaces the reservation with the
 * actual cost. Counters per (site, scope, period) keep both O(1).
 */
export class BudgetGuard {
  readonly #db: Db;
  readonly #counter;
  readonly #addReserved;
  readonly #addSettled;
  readonly #insertReservation;
  readonly #selectReservation;
  readonly #deleteReservation;
  readonly #expired;
  readonly #releaseReservation;
  readonly #reservationTtlMs: number;

  constructor(db: Db, options: { reservationTtlMs: number }) {
    this.#db = db;
    this.#reservationTtlMs = options.reservationTtlMs;
    this.#counter = db.prepare(
      "SELECT settled_picousd, reserved_picousd FROM spend_counters WHERE site_id = ? AND scope = ? AND period = ?",
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
    this.#selectReservation = db.prepare(
      "SELECT site_id, day, month, visitor_period, amount_picousd FROM reservations WHERE request_id = ?",
    );
    this.#deleteReservation = db.prepare("DELETE FROM reservations WHERE request_id = ?");
    this.#expired = db.prepare(
      "SELECT request_id FROM reservations WHERE expires_at <= ? AND amount_picousd > 0",
    );
    this.#releaseReservation = db.prepare(
      "UPDATE reservations SET amount_picousd = 0 WHERE request_id = ?",
    );
  }

  /** How much the site (and this visitor) may still spend right now. */
  headroom(
    siteId: string,
    visitor: string | undefined,
    policy: EffectivePolicy,
    now: number,
  ): Headroom {
    const periods = periodsAt(now, policy.timezone);
    let remainingPicoUsd = Number.POSITIVE_INFINITY;
    let binding: CapBreach | undefined;
    const consider = (scope: CapScope, cap: number | null, period: string, resetsAt: number) => {
      if (cap === null) return;
      const used = this.#used(siteId, scope, period);
      if (cap - used < remainingPicoUsd) {
        remainingPicoUsd = cap - used;
        binding = { scope, capPicoUsd: cap, usedPicoUsd: used, resetsAt };
      }
    };
    consider("day", policy.dayCapPicoUsd, periods.day, periods.dayEndsAt);
    consider("month", policy.monthCapPicoUsd, periods.month, periods.monthEndsAt);
    if (visitor !== undefined) {
      consider(
        "visitor_day",
        policy.visitorDayCapPicoUsd,
        visitorPeriod(visitor, periods.day),
        periods.dayEndsAt,
      );
    }
    return { remainingPicoUsd: Math.max(0, remainingPicoUsd), binding };
  }

  /**
   * Reserves `amountPicoUsd` against every cap, atomically. Returns the cap
   * it would break instead, reserving nothing.
   */
  reserve(request: ReservationRequest): CapBreach | undefined {
    // Inside the caller's transaction (admission), no savepoint of its own is needed.
    if (this.#db.inTransaction) return this.#reserveNow(request);
    return this.#db.transaction(() => this.#reserveNow(request)).immediate();
  }

  #reserveNow(request: ReservationRequest): CapBreach | undefined {
    const { requestId, siteId, visitor, amountPicoUsd, policy, now } = request;
    const cap = policy.requestCapPicoUsd;
    if (cap !== null && amountPicoUsd > cap) {
      return { scope: "request", capPicoUsd: cap, usedPicoUsd: 0, resetsAt: null };
    }
    const room = this.headroom(siteId, visitor, policy, now);
    if (room.binding && amountPicoUsd > room.remainingPicoUsd) return room.binding;
    const periods = periodsAt(now, policy.timezone);
    const visitorKey = visitor === undefined ? null : visitorPeriod(visitor, periods.day);
    this.#addReserved.run(siteId, "day", periods.day, amountPicoUsd);
    this.#addReserved.run(siteId, "month", periods.month, amountPicoUsd);
    if (visitorKey !== null)
      this.#addReserved.run(siteId, "visitor_day", visitorKey, amountPicoUsd);
    this.#insertReservation.run(
      requestId,
      siteId,
      periods.day,
      periods.month,
      visitorKey,
      amountPicoUsd,
      now,
      now + this.#reservationTtlMs,
    );
    return undefined;
  }

  /**
   * Replaces a reservation with the actual cost, in the periods it was made in.
   * Call inside the transaction that settles the ledger row.
   */
  settle(requestId: string, actualPicoUsd: number): void {
    const row = this.#selectReservation.get(requestId) as ReservationRow | undefined;
    if (!row) return;
    const released = -row.amount_picousd;
    this.#addSettled.run(row.site_id, "day", row.day, actualPicoUsd, released);
    this.#addSettled.run(row.site_id, "month", row.month, actualPicoUsd, released);
    if (row.visitor_period !== null) {
      this.#addSettled.run(row.site_id, "visitor_day", row.visitor_period, actualPicoUsd, released);
    }
    this.#deleteReservation.run(requestId);
  }

  /** Frees reservations held past their time-out (their request is settled later, if ever). */
  releaseExpired(now: number): number {
    const expired = this.#expired.pluck().all(now) as string[];
    this.#db.transaction(() => {
      for (const requestId of expired) {
        const row = this.#selectReservation.get(requestId) as ReservationRow;
        const released = -row.amount_picousd;
        this.#addSettled.run(row.site_id, "day", row.day, 0, released);
        this.#addSettled.run(row.site_id, "month", row.month, 0, released);
        if (row.visitor_period !== null) {
          this.#addSettled.run(row.site_id, "visitor_day", row.visitor_period, 0, released);
        }
        this.#releaseReservation.run(requestId);
      }
    })();
    return expired.length;
  }

  /** Settled and reserved spend of a site in a period, for reports. */
  spend(siteId: string, scope: CapScope, period: string): { settled: number; reserved: number } {
    const row = this.#counter.get(siteId, scope, period) as CounterRow | undefined;
    return { settled: row?.settled_picousd ?? 0, reserved: row?.reserved_picousd ?? 0 };
  }

  #used(siteId: string, scope: CapScope, period: string): number {
    const row = this.#counter.get(siteId, scope, period) as CounterRow | undefined;
    return row ? row.settled_picousd + row.reserved_picousd : 0;
  }
}

function visitorPeriod(visitor: string, day: string): string {
  return `${visitor}|${day}`;
}
