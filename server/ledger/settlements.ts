import type { Db } from "./db.ts";
import type { SettledRequest } from "./requests.ts";

/**
 * Group commit for settlements. A finished request's settlement is queued and
 * written with every other one of the same event-loop turn in one SQLite
 * transaction, so commits (the costly part) are shared. `add` resolves once
 * its batch is committed: the client's usage_final follows the ledger row. Until it commits, the
 * row stays "open" with its reservation held: a crash in that window is
 * billed at start-up from the row's last checkpoint, never lost.
 */
export class SettlementQueue {
  readonly #write: (batch: [string, SettledRequest][]) => void;
  readonly #onError: (error: unknown) => void;
  #queue: [string, SettledRequest][] = [];
  #committed: (() => void)[] = [];
  #scheduled = false;

  constructor(
    db: Db,
    apply: (requestId: string, outcome: SettledRequest) => void,
    onError: (error: unknown) => void,
  ) {
    // Made once: better-sqlite3 builds a wrapper per db.transaction() call.
    this.#write = db.transaction((batch: [string, SettledRequest][]) => {
      for (const [requestId, outcome] of batch) apply(requestId, outcome);
    });
    this.#onError = onError;
  }

  add(requestId: string, outcome: SettledRequest): Promise<void> {
    this.#queue.push([requestId, outcome]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve) => this.#committed.push(resolve));
  }

  /** Writes everything queued now, in one transaction. */
  flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    const waiting = this.#committed;
    if (batch.length === 0) return;
    this.#queue = [];
    this.#committed = [];
    try {
      this.#write(batch);
    } catch (error) {
      this.#onError(error);
    }
    for (const resolve of waiting) resolve();
  }
}
