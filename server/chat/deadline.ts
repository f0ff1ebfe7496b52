import type { Clock } from "../clock.ts";
import { ProviderError } from "../providers/errors.ts";
import type { ProviderId } from "../providers/types.ts";

/** The provider sent no content for the idle limit after its stream opened. */
export class UpstreamStalledError extends ProviderError {
  override readonly code = "upstream_stalled";
  override readonly httpStatus = 504;
}

/** The whole request, from its arrival to its last chunk, ran past the stream limit. */
export class StreamTimeoutError extends ProviderError {
  override readonly code = "stream_timeout";
  override readonly httpStatus = 504;
}

export interface DeadlineLimits {
  /** No content from the provider for this long ends the stream. */
  idleMs: number;
  /** The whole request may take this long. */
  maxMs: number;
}

/**
 * The two clocks of one chat: the whole request's and the provider's silence.
 * When either runs out, `upstream` is aborted with the error (so the provider
 * call and its socket end) and `expired` rejects with it, so a loop that races
 * it cannot wait on a provider that ignores the abort. One timer, re-armed only
 * when it fires: content costs a clock read, not a timer. The clock is
 * injected, so tests move time by hand.
 */
export class StreamDeadline {
  readonly upstream = new AbortController();
  readonly expired: Promise<never>;
  #reject!: (reason: unknown) => void;
  #error: ProviderError | undefined;
  readonly #limits: DeadlineLimits;
  readonly #clock: Clock;
  readonly #endsAt: number;
  #provider: ProviderId;
  /** clock.monotonic() of the last content; undefined until the stream opens. */
  #lastContentAt: number | undefined;
  #paused = false;
  #timer: { cancel(): void } | undefined;

  /** `startedAt` is the request's arrival on `clock.monotonic()`. */
  constructor(
    limits: DeadlineLimits,
    clock: Clock,
    startedAt: number,
    provider: ProviderId,
    client: AbortSignal,
  ) {
    this.#limits = limits;
    this.#clock = clock;
    this.#endsAt = startedAt + limits.maxMs;
    this.#provider = provider;
    this.expired = new Promise<never>((_resolve, reject) => {
      this.#reject = reject;
    });
    // Raced, and only sometimes awaited: a rejection nobody awaits is expected.
    this.expired.catch(() => {});
    // The client's abort ends the chat as surely as a deadline: a provider that ignores it cannot hold it.
    const clientLeft = () => {
      this.upstream.abort(client.reason);
      this.#reject(client.reason);
    };
    if (client.aborted) clientLeft();
    else client.addEventListener("abort", clientLeft, { once: true });
    this.#arm(clock.monotonic());
  }

  /** Why the deadline ended the chat, if it did. */
  get error(): ProviderError | undefined {
    return this.#error;
  }

  /** The stream opened (on this provider): the idle clock starts. */
  opened(provider: ProviderId): void {
    this.#provider = provider;
    this.#lastContentAt = this.#clock.monotonic();
    this.#arm(this.#lastContentAt);
  }

  /** Content arrived. */
  touch(): void {
    this.#lastContentAt = this.#clock.monotonic();
  }

  /**
   * While the client's socket is full the provider is not being read, so its
   * silence is not the provider's: the idle clock waits, the whole-stream one
   * does not.
   */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.touch();
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #arm(now: number): void {
    this.#timer?.cancel();
    const idleEndsAt =
      this.#lastContentAt === undefined
        ? Number.POSITIVE_INFINITY
        : this.#lastContentAt + this.#limits.idleMs;
    const next = Math.min(idleEndsAt, this.#endsAt);
    this.#timer = this.#clock.timer(Math.max(0, next - now), () => this.#check());
  }

  #check(): void {
    const now = this.#clock.monotonic();
    if (now >= this.#endsAt) {
      this.#expire(
        new StreamTimeoutError(`the answer ran past the ${this.#limits.maxMs} ms limit`, {
          provider: this.#provider,
        }),
      );
      return;
    }
    const silentFor = this.#lastContentAt === undefined ? 0 : now - this.#lastContentAt;
    if (!this.#paused && silentFor >= this.#limits.idleMs) {
      this.#expire(
        new UpstreamStalledError(
          `${this.#provider} sent no content for ${Math.round(silentFor)} ms (limit ${this.#limits.idleMs} ms)`,
          { provider: this.#provider },
        ),
      );
      return;
    }
    if (this.#paused) this.#lastContentAt = now;
    this.#arm(now);
  }

  #expire(error: ProviderError): void {
    this.#timer = undefined;
    if (this.#error || this.upstream.signal.aborted) return;
    this.#error = error;
    this.upstream.abort(error);
    this.#reject(error);
  }
}
