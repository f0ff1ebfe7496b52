import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Time, as the chat path sees it: injected, so tests can run retries, first-byte
 * time-outs and stream deadlines on a clock they move by hand, with no real waits.
 */
export interface Clock {
  /** Wall-clock unix milliseconds (ledger times, budget periods). */
  now(): number;
  /** Monotonic milliseconds (durations and deadlines). */
  monotonic(): number;
  /** Resolves after `ms`; rejects with the signal's abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fire` after `ms` unless cancelled; never keeps the process alive. */
  timer(ms: number, fire: () => void): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}),
  timer: (ms, fire) => {
    const handle = setTimeout(fire, ms);
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};
