import type { Clock } from "../clock.ts";
import {
  ProviderConnectionError,
  ProviderError,
  ProviderServerError,
} from "../providers/errors.ts";
import type { ChatMessage, ProviderCall, ProviderEvent, ProviderId } from "../providers/types.ts";
import { Refusal } from "../refusal.ts";
import type { RouteHealth } from "./health.ts";
import type { RouteTarget } from "./planner.ts";
import { type RetryPolicy, retryDelayMs } from "./retry.ts";

/**
 * Opens one provider call: the adapter's `open`, behind whatever transport it
 * uses, with the provider key `siteId`'s scope allows (none: a key for every site).
 */
export type Connect = (
  provider: ProviderId,
  call: ProviderCall,
  signal: AbortSignal,
  siteId: string | undefined,
) => Promise<AsyncIterable<ProviderEvent>>;

export interface DialerOptions {
  retry: RetryPolicy;
  firstByteTimeoutMs: number;
  /** The retry jitter's source (tests fix it). */
  random?: () => number;
  /** Told of each attempt after a dial's first (metrics). */
  onRetry?: (target: RouteTarget, kind: RetryKind) => void;
}

/** An attempt after the first: the same target after backoff, or the next target. */
export type RetryKind = "backoff" | "failover";

export interface OpenedRoute {
  target: RouteTarget;
  events: AsyncIterable<ProviderEvent>;
  attempts: number;
}

/**
 * Opens the upstream call of a planned request: the first target that
 * accepts it, behind its circuit breaker, with a first-byte time-out;
 * retryable failures are retried with jittered backoff (honouring
 * retry-after), then the next target is tried. All of this happens before the
 * first byte goes to the client.
 */
export class Dialer {
  readonly #connect: Connect;
  readonly #health: RouteHealth;
  readonly #clock: Clock;
  readonly #options: DialerOptions;

  constructor(connect: Connect, health: RouteHealth, clock: Clock, options: DialerOptions) {
    this.#connect = connect;
    this.#health = health;
    this.#clock = clock;
    this.#options = options;
  }

  async dial(
    targets: RouteTarget[],
    messages: ChatMessage[],
    temperature: number | undefined,
    signal: AbortSignal,
    siteId?: string,
  ): Promise<OpenedRoute> {
    let lastError: ProviderError | undefined;
    let attempts = 0;
    const { retry } = this.#options;
    for (const target of targets) {
      const breaker = this.#health.breaker(target.info.id);
      for (let attempt = 1; attempt <= retry.attempts; attempt += 1) {
        if (!breaker.tryAcquire(this.#clock.now())) {
          lastError ??= new ProviderServerError(
            `${target.info.id} is failing; its circuit is open`,
            {
              provider: target.info.provider,
            },
          );
          break;
        }
        attempts += 1;
        if (attempts > 1) this.#options.onRetry?.(target, attempt > 1 ? "backoff" : "failover");
        try {
          const events = await this.#openOnce(target, messages, temperature, signal, siteId);
          breaker.recordSuccess();
          return { target, events, attempts };
        } catch (error) {
          if (signal.aborted) {
            breaker.release();
            signal.throwIfAborted();
          }
          const failure = asProviderError(error, target);
          lastError = failure;
          if (!failure.retryable) {
            breaker.release();
            break;
          }
          breaker.recordFailure(this.#clock.now());
          this.#health.observe(target.info.id, { failed: true });
          if (attempt === retry.attempts) break;
          const wait = retryDelayMs(retry, attempt, failure.retryAfterMs, this.#options.random);
          if (wait === undefined) break;
          await this.#clock.sleep(wait, signal);
        }
      }
    }
    throw lastError ?? new Refusal("no_route", "no model could be reached");
  }

  /** Feeds what a finished stream showed back into the scores. */
  observe(targetId: string, outcome: { ttfcMs?: number; failed: boolean }): void {
    this.#health.observe(targetId, outcome);
  }

  async #openOnce(
    target: RouteTarget,
    messages: ChatMessage[],
    temperature: number | undefined,
    signal: AbortSignal,
    siteId: string | undefined,
  ): Promise<AsyncIterable<ProviderEvent>> {
    const attempt = new AbortController();
    const forwardAbort = () => attempt.abort(signal.reason);
    signal.addEventListener("abort", forwardAbort, { once: true });
    let timedOut = false;
    const { firstByteTimeoutMs } = this.#options;
    const timer = this.#clock.timer(firstByteTimeoutMs, () => {
      timedOut = true;
      attempt.abort(new Error("first byte timeout"));
    });
    try {
      const call = { model: target.info.model, messages, maxTokens: target.maxTokens };
      return await this.#connect(
        target.info.provider,
        temperature === undefined ? call : { ...call, temperature },
        attempt.signal,
        siteId,
      );
    } catch (error) {
      // On success the listener stays: a later abort must still reach the open stream.
      signal.removeEventListener("abort", forwardAbort);
      if (timedOut) {
        throw new ProviderConnectionError(
          `${target.info.id} sent no response within ${firstByteTimeoutMs} ms`,
          { provider: target.info.provider, cause: error },
        );
      }
      throw error;
    } finally {
      timer.cancel();
    }
  }
}

function asProviderError(error: unknown, target: RouteTarget): ProviderError {
  if (error instanceof ProviderError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderConnectionError(`${target.info.id}: ${message}`, {
    provider: target.info.provider,
    cause: error,
  });
}
