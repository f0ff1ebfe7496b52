import type { WorstCase } from "../pricing/cost.ts";
import type { ProviderId } from "../providers/types.ts";
import { Refusal } from "../refusal.ts";
import type { ModelCatalog, ModelInfo } from "./catalog.ts";
import type { RouteHealth } from "./health.ts";

/** A model chosen for a request, with the answer length it will be asked for. */
export interface RouteTarget {
  info: ModelInfo;
  maxTokens: number;
}

export interface PlannerOptions {
  defaultMaxTokens: number;
  /** Candidates for "auto"; empty means one cheap default per configured provider. */
  autoModels: string[];
  /** Whether the gateway has a key for a provider that the site may use (none: every site). */
  isConfigured: (provider: ProviderId, siteId: string | undefined) => boolean;
  /** The most a call can cost (pricing's worst case: the one reservations use). */
  worstCase: WorstCase;
}

/**
 * Where a request may go, in order. An explicit model goes to its provider;
 * "auto" considers every candidate whose context window fits the request
 * (token-aware), scored by worst-case price, recent latency and error rate.
 * Plans only: opening the call is the dialer's.
 */
export class Planner {
  readonly #catalog: ModelCatalog;
  readonly #health: RouteHealth;
  readonly #options: PlannerOptions;

  constructor(catalog: ModelCatalog, health: RouteHealth, options: PlannerOptions) {
    this.#catalog = catalog;
    this.#health = health;
    this.#options = options;
  }

  /**
   * The ordered targets for a request; throws a Refusal when none fits.
   * `allowed` is the site's allowlist (null: none); for "auto" it replaces the
   * default candidates. Only providers with a key `siteId` may use are planned.
   */
  plan(
    requestedModel: string,
    inputTokens: number,
    maxTokens: number | undefined,
    allowed: ReadonlySet<string> | null = null,
    siteId?: string,
  ): RouteTarget[] {
    if (requestedModel !== "auto")
      return [this.#planExplicit(requestedModel, inputTokens, maxTokens, siteId)];
    const candidates = this.#candidates(allowed, siteId);
    const targets = this.#fitting(candidates, inputTokens, maxTokens).sort(
      (a, b) => this.#score(a, inputTokens) - this.#score(b, inputTokens),
    );
    if (targets.length > 0) return targets;
    // Asked for a longer answer than any candidate writes: the request is at fault, not the gateway.
    const longest = Math.max(...candidates.map((info) => info.maxOutputTokens));
    if (maxTokens !== undefined && candidates.length > 0 && maxTokens > longest) {
      throw new Refusal(
        "invalid_request",
        `max_tokens: must be at most ${longest}, the longest answer of the models this site may use`,
      );
    }
    // A conversation longer than every candidate's context window: the request again.
    const widest = Math.max(...candidates.map((info) => info.contextWindow));
    if (candidates.length > 0 && inputTokens >= widest) {
      throw new Refusal(
        "context_length_exceeded",
        `messages: about ${inputTokens} tokens do not fit the largest context window (${widest} tokens) of the models this site may use`,
      );
    }
    throw new Refusal(
      "no_route",
      "no configured model can take a request of this size; configure a provider or shorten the conversation",
    );
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
    siteId?: string,
  ): RouteTarget[] {
    const ceiling = this.#worstCase(than, inputTokens);
    const priced = this.#candidates(allowed, siteId).filter(
      (info) => info.priced && info.id !== than.info.id,
    );
    return this.#fitting(priced, inputTokens, maxTokens)
      .filter((target) => this.#worstCase(target, inputTokens) < ceiling)
      .sort((a, b) => this.#worstCase(b, inputTokens) - this.#worstCase(a, inputTokens));
  }

  #planExplicit(
    requestedModel: string,
    inputTokens: number,
    maxTokens: number | undefined,
    siteId: string | undefined,
  ) {
    const info = this.#catalog.find(requestedModel);
    if (!info) {
      throw new Refusal("unknown_model", `model: "${requestedModel}" is not a known model`);
    }
    if (!this.#options.isConfigured(info.provider, siteId)) {
      throw new Refusal(
        "provider_not_configured",
        `model: ${info.provider} has no API key configured on this gateway`,
      );
    }
    if (maxTokens !== undefined && maxTokens > info.maxOutputTokens) {
      throw new Refusal(
        "invalid_request",
        `max_tokens: must be at most ${info.maxOutputTokens} for ${info.id}`,
      );
    }
    const target = this.#fit(info, inputTokens, maxTokens);
    if (!target) {
      throw new Refusal(
        "context_length_exceeded",
        `messages: about ${inputTokens} tokens do not fit the ${info.contextWindow}-token context window of ${info.id}`,
      );
    }
    return target;
  }

  #fitting(models: ModelInfo[], inputTokens: number, maxTokens: number | undefined) {
    return models
      .map((info) => this.#fit(info, inputTokens, maxTokens))
      .filter((target): target is RouteTarget => target !== undefined);
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

  /** The allowlist when the site has one, else the "auto" candidates; configured providers only. */
  #candidates(allowed: ReadonlySet<string> | null, siteId: string | undefined): ModelInfo[] {
    const defaults =
      this.#options.autoModels.length > 0 ? this.#options.autoModels : this.#catalog.defaults();
    const ids = allowed ? [...allowed] : defaults;
    const configured = ids
      .map((id) => this.#catalog.find(id))
      .filter((info): info is ModelInfo => info !== undefined)
      .filter((info) => this.#options.isConfigured(info.provider, siteId));
    const real = configured.filter((info) => info.provider !== "demo");
    return real.length > 0 ? real : configured;
  }

  /** Lower is better: worst-case price, inflated by errors and slowness. */
  #score(target: RouteTarget, inputTokens: number): number {
    const health = this.#health.of(target.info.id);
    const breakerPenalty = health.circuitClosed ? 1 : 1000;
    const price = this.#worstCase(target, inputTokens) + 1;
    const errorPenalty = 1 + 4 * health.errorRate;
    const latencyPenalty = 1 + (health.ttfcMs ?? 0) / 2000;
    return price * errorPenalty * latencyPenalty * breakerPenalty;
  }

  #worstCase(target: RouteTarget, inputTokens: number): number {
    return this.#options.worstCase(
      target.info.provider,
      target.info.model,
      inputTokens,
      target.maxTokens,
    );
  }
}
