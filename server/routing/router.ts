import { setTimeout as delay } from "node:timers/promises";
import { GatewayError } from "../http/errors.ts";
import {
  ProviderConnectionError,
  ProviderError,
  ProviderServerError,
} from "../providers/errors.ts";
import type { ProviderRegistry } from "../providers/registry.ts";
import type { ChatMessage, ProviderEvent } from "../providers/types.ts";
import { CircuitBreaker } from "./breaker.ts";
import type { ModelCatalog, ModelInfo } from "./catalog.ts";
import { type RetryPolicy, retryDelayMs } from "./retry.ts";

export interface RouterOptions {
  retry: RetryPolicy;
  firstByteTimeoutMs: number;
  defaultMaxTokens: number;
  /** Candidates for "auto"; empty means one cheap default per configured provider. */
  autoModels: string[];
  breakerFailureThreshold?: number;
  breakerCooldownMs?: number;
}

/** A model chosen for a request, with the answer length it will be asked for. */
export interface RouteTarget {
  info: ModelInfo;
  maxTokens: number;
}

export interface OpenedRoute {
  target: RouteTarget;
  events: AsyncIterable<ProviderEvent>;
  attempts: number;
}

interface TargetStats {
  ttfcMs: number | undefined;
  errorRate: number;
}

const EWMA_WEIGHT = 0.2;

/**
 * Chooses where a request goes and opens the upstream call. An explicit model
 * goes to its provider; "auto" considers every candidate whose context window
 * fits the request (token-aware), scored by estimated price, recent latency
 * and error rate. Each target has a circuit breaker; retryable failures are
 * retried with jittered backoff (honouring retry-after), then the next
 * candidate is tried. All of this happens before the first byte is sent.
 */
export class Router {
  readonly #registry: ProviderRegistry;
  readonly #catalog: ModelCatalog;
  readonly #options: RouterOptions;
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #stats = new Map<string, TargetStats>();

  constructor(registry: ProviderRegistry, catalog: ModelCatalog, options: RouterOptions) {
    this.#registry = registry;
    this.#catalog = catalog;
    this.#options = options;
  }

  /**
   * The ordered targets for a request; throws a GatewayError (4xx/503) when
   * none fits. `allowed` is the site's allowlist (null: no allowlist); for
   * "auto" it replaces the default candidates.
   */
  plan(
    requestedModel: string,
    inputTokens: number,
    maxTokens: number | undefined,
    allowed: ReadonlySet<string> | null = null,
  ): RouteTarget[] {
    if (requestedModel !== "auto") {
      const info = this.#catalog.find(requestedModel);
      if (!info) {
        throw new GatewayError(
          400,
          "unknown_model",
          `model: "${requestedModel}" is not a known model`,
        );
      }
      if (!this.#registry.isConfigured(info.provider)) {
        throw new GatewayError(
          503,
          "provider_not_configured",
          `model: ${info.provider} has no API key configured on this gateway`,
        );
      }
      if (maxTokens !== undefined && maxTokens > info.maxOutputTokens) {
        throw new GatewayError(
          400,
          "invalid_request",
          `max_tokens: must be at most ${info.maxOutputTokens} for ${info.id}`,
        );
      }
      const target = this.#fit(info, inputTokens, maxTokens);
      if (!target) {
        throw new GatewayError(
          400,
          "context_length_exceeded",
          `messages: about ${inputTokens} tokens do not fit the ${info.contextWindow}-token context window of ${info.id}`,
        );
      }
      return [target];
    }
    const candidates = this.#candidates(allowed);
    const targets = candidates
      .map((info) => this.#fit(info, inputTokens, maxTokens))
      .filter((target): target is RouteTarget => target !== undefined)
      .sort((a, b) => this.#score(a, inputTokens) - this.#score(b, inputTokens));
    if (targets.length === 0) {
      // Asked for a longer answer than any candidate writes: the request is at fault, not the gateway.
      const longest = Math.max(...candidates.map((info) => info.maxOutputTokens));
      if (maxTokens !== undefined && candidates.length > 0 && maxTokens > longest) {
        throw new GatewayError(
          400,
          "invalid_request",
          `max_tokens: must be at most ${longest}, the longest answer of the models this site may use`,
        );
      }
      throw new GatewayError(
        503,
        "no_route",
        "no configured model can take a request of this size; configure a provider or shorten the conversation",
      );
    }
    return targets;
  }

  /** Opens the first target that accepts the call, retrying and failing over as needed. */
  async open(
    targets: RouteTarget[],
    messages: ChatMessage[],
    temperature: number | undefined,
    signal: AbortSignal,
  ): Promise<OpenedRoute> {
    let lastError: ProviderError | undefined;
    let attempts = 0;
    for (const target of targets) {
      const breaker = this.#breakerFor(target.info.id);
      for (let attempt = 1; attempt <= this.#options.retry.attempts; attempt += 1) {
        if (!breaker.tryAcquire()) {
          lastError ??= new ProviderServerError(
            `${target.info.id} is failing; its circuit is open`,
            {
              provider: target.info.provider,
            },
          );
          break;
        }
        attempts += 1;
        try {
          const events = await this.#openOnce(target, messages, temperature, signal);
          breaker.recordSuccess();
          return { target, events, attempts };
        } catch (error) {
          signal.throwIfAborted();
          const failure = asProviderError(error, target);
          lastError = failure;
          if (!failure.retryable) break;
          breaker.recordFailure();
          this.observe(target.info.id, { failed: true });
          if (attempt === this.#options.retry.attempts) break;
          const wait = retryDelayMs(this.#options.retry, attempt, failure.retryAfterMs);
          if (wait === undefined) break;
          await delay(wait, undefined, { signal });
        }
      }
    }
    throw lastError ?? new GatewayError(503, "no_route", "no model could be reached");
  }

  /** Feeds what a finished stream showed back into the scores. */
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

  async #openOnce(
    target: RouteTarget,
    messages: ChatMessage[],
    temperature: number | undefined,
    signal: AbortSignal,
  ): Promise<AsyncIterable<ProviderEvent>> {
    const attempt = new AbortController();
    const forwardAbort = () => attempt.abort(signal.reason);
    signal.addEventListener("abort", forwardAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort(new Error("first byte timeout"));
    }, this.#options.firstByteTimeoutMs);
    try {
      const call = { model: target.info.model, messages, maxTokens: target.maxTokens };
      const adapter = await this.#registry.adapter(target.info.provider);
      return await adapter.open(
        temperature === undefined ? call : { ...call, temperature },
        attempt.signal,
      );
    } catch (error) {
      if (timedOut) {
        throw new ProviderConnectionError(
          `${target.info.id} sent no response within ${this.#options.firstByteTimeoutMs} ms`,
          { provider: target.info.provider, cause: error },
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #fit(
    info: ModelInfo,
    inputTokens: number,
    maxTokens: number | undefined,
  ): RouteTarget | undefined {
    const room = info.contextWindow - inputTokens;
    const wanted = maxTokens ?? Math.min(this.#options.defaultMaxTokens, info.maxOutputTokens);
    if (room < 1 || wanted > info.maxOutputTokens) return undefined;
    if (maxTokens !== undefined && maxTokens > room) return undefined;
    return { info, maxTokens: Math.min(wanted, room) };
  }

  /**
   * Priced, allowed, configured models whose worst case for this request is
   * below `than`'s, closest in price first: where a request may degrade to.
   */
  cheaper(
    than: RouteTarget,
    inputTokens: number,
    maxTokens: number | undefined,
    allowed: ReadonlySet<string> | null,
  ): RouteTarget[] {
    const ceiling = worstCasePrice(than, inputTokens);
    return this.#candidates(allowed)
      .filter((info) => info.priced && info.id !== than.info.id)
      .map((info) => this.#fit(info, inputTokens, maxTokens))
      .filter((target): target is RouteTarget => target !== undefined)
      .filter((target) => worstCasePrice(target, inputTokens) < ceiling)
      .sort((a, b) => worstCasePrice(b, inputTokens) - worstCasePrice(a, inputTokens));
  }

  /** The allowlist when the site has one, else the "auto" candidates; configured providers only. */
  #candidates(allowed: ReadonlySet<string> | null): ModelInfo[] {
    const defaults =
      this.#options.autoModels.length > 0 ? this.#options.autoModels : this.#catalog.defaults();
    const ids = allowed ? [...allowed] : defaults;
    const configured = ids
      .map((id) => this.#catalog.find(id))
      .filter((info): info is ModelInfo => info !== undefined)
      .filter((info) => this.#registry.isConfigured(info.provider));
    const real = configured.filter((info) => info.provider !== "demo");
    return real.length > 0 ? real : configured;
  }

  /** Lower is better: estimated worst-case price, inflated by errors and slowness. */
  #score(target: RouteTarget, inputTokens: number): number {
    const stats = this.#stats.get(target.info.id);
    const breakerPenalty = this.#breakerFor(target.info.id).state() === "closed" ? 1 : 1000;
    const price = worstCasePrice(target, inputTokens) + 1;
    const errorPenalty = 1 + 4 * (stats?.errorRate ?? 0);
    const latencyPenalty = 1 + (stats?.ttfcMs ?? 0) / 2000;
    return price * errorPenalty * latencyPenalty * breakerPenalty;
  }

  #breakerFor(targetId: string): CircuitBreaker {
    let breaker = this.#breakers.get(targetId);
    if (!breaker) {
      breaker = new CircuitBreaker({
        failureThreshold: this.#options.breakerFailureThreshold ?? 5,
        cooldownMs: this.#options.breakerCooldownMs ?? 30_000,
      });
      this.#breakers.set(targetId, breaker);
    }
    return breaker;
  }
}

/** Base-rate worst case of a target, in picoUSD, for ordering. */
function worstCasePrice(target: RouteTarget, inputTokens: number): number {
  return inputTokens * target.info.inputPrice + target.maxTokens * target.info.outputPrice;
}

function asProviderError(error: unknown, target: RouteTarget): ProviderError {
  if (error instanceof ProviderError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderConnectionError(`${target.info.id}: ${message}`, {
    provider: target.info.provider,
    cause: error,
  });
}
