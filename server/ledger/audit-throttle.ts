import type { AuditEntry, AuditLog } from "./audit.ts";

/** The gateway's audit log, and its throttle for the events a stranger can cause at will. */
export interface GatewayAudit {
  log: AuditLog;
  throttle: AuditThrottle;
}

/** One minute: at most two rows per event, subject and code in it. */
export const AUDIT_THROTTLE_WINDOW_MS = 60_000;

interface Window {
  startedAt: number;
  /** Events after the first in this window, not yet written. */
  repeated: number;
  entry: AuditEntry;
}

/**
 * Rate-limits the audit rows of events a stranger can cause at will
 * (signature rejections, budget refusals), so a flood cannot fill the disk:
 * per event, subject and details, the first in a window is written at once
 * (count 1); those after it only count up in memory, and are written as one
 * row with their count when the window ends (a timer, the next event after
 * it, or `flush` at shutdown). A record is a Map look-up: O(1). The keys are
 * bounded because callers pass subjects from a closed set (a registered site,
 * or "unknown") and details from closed sets (a code of the contract's table,
 * a cap's scope): never a value the request chose.
 */
export class AuditThrottle {
  readonly #log: AuditLog;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();
  readonly #timer: NodeJS.Timeout;

  constructor(log: AuditLog, options: { windowMs?: number; now?: () => number } = {}) {
    this.#log = log;
    this.#windowMs = options.windowMs ?? AUDIT_THROTTLE_WINDOW_MS;
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => this.flush({ endedOnly: true }), this.#windowMs);
    this.#timer.unref();
  }

  record(entry: AuditEntry): void {
    const key = `${entry.event}\u0000${entry.subject}\u0000${JSON.stringify(entry.details ?? {})}`;
    const now = this.#now();
    const window = this.#windows.get(key);
    if (window && now - window.startedAt < this.#windowMs) {
      window.repeated += 1;
      return;
    }
    if (window) this.#close(window, now);
    this.#windows.set(key, { startedAt: now, repeated: 0, entry });
    this.#log.append({ ...entry, details: { ...entry.details, count: 1 } });
  }

  /** Writes the count of each window with repeats (`endedOnly`: of windows past their end). */
  flush(options: { endedOnly?: boolean } = {}): void {
    const now = this.#now();
    for (const [key, window] of this.#windows) {
      if (options.endedOnly && now - window.startedAt < this.#windowMs) continue;
      this.#close(window, now);
      this.#windows.delete(key);
    }
  }

  /** Flushes every window and stops the timer. */
  close(): void {
    clearInterval(this.#timer);
    this.flush();
  }

  #close(window: Window, now: number): void {
    if (window.repeated === 0) return;
    this.#log.append({
      ...window.entry,
      details: {
        ...window.entry.details,
        count: window.repeated,
        repeated: true,
        from: new Date(window.startedAt).toISOString(),
        to: new Date(Math.min(now, window.startedAt + this.#windowMs)).toISOString(),
      },
    });
  }
}
