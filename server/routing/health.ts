import type { Clock } from "../clock.ts";
import { type BreakerState, CircuitBreaker } from "./breaker.ts";

export interface HealthOptions {
  breakerFailureThreshold: number;
  breakerCooldownMs: number;
}

export interface TargetHealth {
  /** Recent share of failed calls (exponentially weighted). */
  errorRate: number;
  /** Recent time to first content, ms; undefined before any. */
  ttfcMs: number | undefined;
  circuitClosed: boolean;
}

const EWMA_WEIGHT = 0.2;

/**
 * What the gateway has seen of each target (provider/model): its circuit
 * breaker and its recent error rate and latency. The dialer writes it; the
 * planner reads it to score routes.
 */
export class RouteHealth {
  readonly #options: HealthOptions;
  readonly #clock: Clock;
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #stats = new Map<string, { errorRate: number; ttfcMs: number | undefined }>();

  constructor(options: HealthOptions, clock: Clock) {
    this.#options = options;
    this.#clock = clock;
  }

  of(targetId: string): TargetHealth {
    const stats = this.#stats.get(targetId);
    return {
      errorRate: stats?.errorRate ?? 0,
      ttfcMs: stats?.ttfcMs,
      circuitClosed: this.breaker(targetId).state(this.#clock.now()) === "closed",
    };
  }

  breaker(targetId: string): CircuitBreaker {
    let breaker = this.#breakers.get(targetId);
    if (!breaker) {
      breaker = new CircuitBreaker({
        failureThreshold: this.#options.breakerFailureThreshold,
        cooldownMs: this.#options.breakerCooldownMs,
      });
      this.#breakers.set(targetId, breaker);
    }
    return breaker;
  }

  /** The circuit of every target planned or dialled so far, as of now (metrics). */
  circuits(): Map<string, BreakerState> {
    const now = this.#clock.now();
    return new Map(
      [...this.#breakers].map(([targetId, breaker]) => [targetId, breaker.state(now)]),
    );
  }

  /** Feeds one call's outcome into the scores. */
  observe(targetId: string, outcome: { ttfcMs?: number; failed: boolean }): void {
    const stats = this.#stats.get(targetId) ?? { ttfcMs: undefined, errorRate: 0 };
    stats.errorRate = stats.errorRate * (1 - EWMA_WEIGHT) + (outcome.failed ? EWMA_WEIGHT : 0);
    if (outcome.ttfcMs !== undefined) {
      stats.ttfcMs =
        stats.ttfcMs === undefined
          ? outcome.ttfcMs
          : stats.ttfcMs * (1 - EWMA_WEIGHT) + outcome.ttfcMs * EWMA_WEIGHT;
    }
    this.#stats.set(targetId, stats);
  }
}
