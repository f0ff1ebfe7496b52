export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before one trial call is let through. */
  cooldownMs: number;
}

/**
 * A circuit breaker per upstream target. Closed: calls go through. After
 * `failureThreshold` consecutive failures it opens and refuses calls for
 * `cooldownMs`; then one trial call goes through (half-open): success closes
 * it, failure opens it again.
 */
export class CircuitBreaker {
  readonly #options: BreakerOptions;
  #failures = 0;
  #openedAt = 0;
  #state: BreakerState = "closed";
  #trialInFlight = false;

  constructor(options: BreakerOptions) {
    this.#options = options;
  }

  state(now: number = Date.now()): BreakerState {
    if (this.#state === "open" && now - this.#openedAt >= this.#options.cooldownMs) {
      this.#state = "half-open";
      this.#trialInFlight = false;
    }
    return this.#state;
  }

  /** Whether a call may go through now; in half-open, only one trial at a time. */
  tryAcquire(now: number = Date.now()): boolean {
    const state = this.state(now);
    if (state === "closed") return true;
    if (state === "half-open" && !this.#trialInFlight) {
      this.#trialInFlight = true;
      return true;
    }
    return false;
  }

  /**
   * The call ended saying nothing of the target's health (the client went
   * away, or the provider refused the request itself): a half-open trial is
   * over, and the next call may be the trial.
   */
  release(): void {
    this.#trialInFlight = false;
  }

  recordSuccess(): void {
    this.#failures = 0;
    this.#state = "closed";
    this.#trialInFlight = false;
  }

  recordFailure(now: number = Date.now()): void {
    this.#failures += 1;
    this.#trialInFlight = false;
    if (this.#state === "half-open" || this.#failures >= this.#options.failureThreshold) {
      this.#state = "open";
      this.#openedAt = now;
    }
  }
}
