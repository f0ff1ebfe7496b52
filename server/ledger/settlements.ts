import type { Db } from "./db.ts";
import type { Settlement, SettlementJournal } from "./journal.ts";
import type { SettledRequest } from "./requests.ts";

/** What the ledger owes the database: settlements not yet written there. */
export interface SettlementBacklog {
  /** Fsynced to the journal file: they survive a crash. */
  journaled: number;
  /** Neither database nor journal took them: held in memory only, lost by a crash. */
  held: number;
  /** The last write error, while there is a backlog. */
  lastError: string | undefined;
  /** When the backlog began (unix ms). */
  since: number | undefined;
}

export interface SettlementQueueOptions {
  /** Where refused settlements wait; undefined: in memory only (a `:memory:` database). */
  journal: SettlementJournal | undefined;
  /** Told of each failed write, and of the backlog it leaves. */
  onError: (error: unknown, backlog: SettlementBacklog) => void;
  /** Told when the backlog has been written. */
  onRecovered: (written: number) => void;
  /** First retry delay; it doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * Group commit for settlements. A finished request's settlement is queued and
 * written with every other one of the same event-loop turn in one SQLite
 * transaction, so commits (the costly part) are shared. `add` resolves once
 * its batch is durable: committed, or (when the database refuses the write:
 * disk full, I/O error) fsynced to the journal, from which it is retried with
 * backoff and replayed at the next start-up. Until then the row stays "open"
 * with its reservation held; settling is idempotent, so a replay never counts
 * a cost twice.
 */
export class SettlementQueue {
  readonly #write: (batch: readonly Settlement[]) => void;
  readonly #options: SettlementQueueOptions;
  #queue: Settlement[] = [];
  #committed: (() => void)[] = [];
  #scheduled = false;
  /** Settlements refused by both the database and the journal, oldest first. */
  #held: Settlement[] = [];
  #journaled = 0;
  #lastError: string | undefined;
  #since: number | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelayMs: number;

  constructor(
    db: Db,
    apply: (requestId: string, outcome: SettledRequest) => void,
    options: SettlementQueueOptions,
  ) {
    // Made once: better-sqlite3 builds a wrapper per db.transaction() call.
    const write = db.transaction((batch: readonly Settlement[]) => {
      for (const [requestId, outcome] of batch) apply(requestId, outcome);
    });
    this.#write = (batch) => write.immediate(batch);
    this.#options = options;
    this.#retryDelayMs = options.retryMs ?? 1000;
    this.#journaled = options.journal?.read().entries.length ?? 0;
  }

  add(requestId: string, outcome: SettledRequest): Promise<void> {
    this.#queue.push([requestId, outcome]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve) => this.#committed.push(resolve));
  }

  /** Writes everything queued now, in one transaction, or keeps it for a retry. */
  flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    const waiting = this.#committed;
    if (batch.length === 0) return;
    this.#queue = [];
    this.#committed = [];
    if (!this.#hasBacklog()) {
      if (!this.#tryWrite(batch)) this.#keep(batch);
    } else {
      // Behind a backlog, in order (a request's later settlement wins), then the lot is tried.
      this.#keep(batch);
      this.replay();
    }
    for (const resolve of waiting) resolve();
  }

  /**
   * Writes the backlog (journal, then what is held in memory) in one
   * transaction. Returns how many settlements were written. Called by the
   * retry timer, and at start-up before open rows are recovered.
   */
  replay(): number {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const journal = this.#options.journal;
    const { entries, skipped } = journal?.read() ?? { entries: [], skipped: 0 };
    const backlog = [...entries, ...this.#held];
    if (backlog.length === 0) {
      if (skipped > 0) journal?.clear();
      return 0;
    }
    if (!this.#tryWrite(backlog)) {
      this.#scheduleRetry();
      return 0;
    }
    journal?.clear();
    this.#held = [];
    this.#journaled = 0;
    this.#lastError = undefined;
    this.#since = undefined;
    this.#retryDelayMs = this.#options.retryMs ?? 1000;
    this.#options.onRecovered(backlog.length);
    return backlog.length;
  }

  get backlog(): SettlementBacklog {
    return {
      journaled: this.#journaled,
      held: this.#held.length,
      lastError: this.#lastError,
      since: this.#since,
    };
  }

  /** Stops retrying (the database is about to close); the journal stays for the next start. */
  stop(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #hasBacklog(): boolean {
    return this.#journaled > 0 || this.#held.length > 0;
  }

  #tryWrite(batch: readonly Settlement[]): boolean {
    try {
      this.#write(batch);
      return true;
    } catch (error) {
      this.#lastError = error instanceof Error ? error.message : String(error);
      this.#since ??= Date.now();
      this.#options.onError(error, this.backlog);
      return false;
    }
  }

  #keep(batch: readonly Settlement[]): void {
    const journal = this.#options.journal;
    let durable = false;
    if (journal && this.#held.length === 0) {
      try {
        journal.append(batch);
        this.#journaled += batch.length;
        durable = true;
      } catch (error) {
        this.#lastError = `journal ${journal.path}: ${(error as Error).message}`;
        this.#options.onError(error, this.backlog);
      }
    }
    if (!durable) this.#held.push(...batch);
    this.#since ??= Date.now();
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#retryTimer) return;
    const wait = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(wait * 2, this.#options.maxRetryMs ?? 30_000);
    this.#retryTimer = setTimeout(() => this.replay(), wait);
    this.#retryTimer.unref();
  }
}
