import type { Clock } from "../../server/clock.ts";

interface PendingTimer {
  at: number;
  fire: () => void;
  cancelled: boolean;
}

/**
 * A clock moved by hand: timers fire only inside `advance`, in time order,
 * and `sleep` passes its time at once (virtual time), recording how long it
 * was asked to wait. Tests of retries and deadlines run without real waits.
 */
export class ManualClock implements Clock {
  #wall: number;
  #mono = 0;
  #timers: PendingTimer[] = [];
  /** Every sleep asked for, in ms, in order. */
  readonly slept: number[] = [];

  constructor(wallStart = Date.UTC(2026, 11, 4, 12)) {
    this.#wall = wallStart;
  }

  now(): number {
    return this.#wall;
  }

  monotonic(): number {
    return this.#mono;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.slept.push(ms);
    this.advance(ms);
    return Promise.resolve();
  }

  timer(ms: number, fire: () => void): { cancel(): void } {
    const entry: PendingTimer = { at: this.#mono + ms, fire, cancelled: false };
    this.#timers.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** Moves time on by `ms`, firing each timer that falls due, at its moment. */
  advance(ms: number): void {
    const target = this.#mono + ms;
    for (;;) {
      const due = this.#timers
        .filter((timer) => !timer.cancelled && timer.at <= target)
        .sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.cancelled = true;
      this.#step(due.at);
      due.fire();
    }
    this.#step(target);
    this.#timers = this.#timers.filter((timer) => !timer.cancelled);
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }

  #step(to: number): void {
    if (to <= this.#mono) return;
    this.#wall += to - this.#mono;
    this.#mono = to;
  }
}
