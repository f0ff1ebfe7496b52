import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ChatObserver } from "../chat/pipeline.ts";
import type { SettledRequest } from "../ledger/requests.ts";
import { picoUsdToUsd } from "../pricing/money.ts";
import type { Refusal } from "../refusal.ts";
import type { BreakerState } from "../routing/breaker.ts";
import type { RetryKind } from "../routing/dialer.ts";
import type { RouteTarget } from "../routing/planner.ts";

/** What the metrics read from the rest of the gateway. */
export interface MetricsSources {
  /** Whether the catalog prices `provider/model`: only such models are named in a label. */
  isCatalogModel(provider: string, model: string): boolean;
  /** The circuit of every target dialled so far, by `provider/model`. */
  circuits(): ReadonlyMap<string, BreakerState>;
}

/** The label value of every model the catalog does not price (an operator's own, a typo). */
export const OTHER_MODEL = "other";

/** sluice_breaker_state's values. */
const BREAKER_VALUES: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

/** Seconds. Demo and fast models answer in tens of ms; a slow provider in several seconds. */
const TTFC_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
const DURATION_BUCKETS = [0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];
const SETTLE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

/**
 * The gateway's Prometheus metrics, in a registry of its own (several gateways
 * in one process do not share counters). It is told of each chat by the
 * pipeline (ChatObserver), of retries by the dialer and of settlements by the
 * ledger's queue, and reads the circuits when scraped. Label values are site
 * ids, provider ids, catalog model names and fixed words: never a prompt, a
 * key or a visitor id.
 */
export class GatewayMetrics implements ChatObserver {
  readonly registry = new Registry();
  readonly #sources: MetricsSources;
  readonly #requests;
  readonly #streamsOpen;
  readonly #ttfc;
  readonly #duration;
  readonly #tokens;
  readonly #cost;
  readonly #budgetRefusals;
  readonly #retries;
  readonly #settleLatency;

  constructor(sources: MetricsSources) {
    this.#sources = sources;
    const registers = [this.registry];
    this.#requests = new Counter({
      name: "sluice_requests_total",
      help: "Chats settled in the ledger, by the provider and model that answered and the ledger status (ok, error, aborted).",
      labelNames: ["provider", "model", "status"] as const,
      registers,
    });
    this.#streamsOpen = new Gauge({
      name: "sluice_streams_open",
      help: "Chats whose provider call is open now (streamed or buffered), by provider.",
      labelNames: ["provider"] as const,
      registers,
    });
    this.#ttfc = new Histogram({
      name: "sluice_ttfc_seconds",
      help: "Time from a chat's arrival to its first content, in seconds (chats that got some content).",
      labelNames: ["provider", "model"] as const,
      buckets: TTFC_BUCKETS,
      registers,
    });
    this.#duration = new Histogram({
      name: "sluice_request_duration_seconds",
      help: "Time from a chat's arrival to its settlement, in seconds, by the ledger status.",
      labelNames: ["provider", "model", "status"] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#tokens = new Counter({
      name: "sluice_tokens_total",
      help: "Tokens billed, as the ledger records them, by site, provider and type (input, output, cache_read, cache_write).",
      labelNames: ["site", "provider", "type"] as const,
      registers,
    });
    this.#cost = new Counter({
      name: "sluice_cost_usd_total",
      help: "Cost billed, in US dollars (the ledger's cost_picousd / 1e12), by site and provider.",
      labelNames: ["site", "provider"] as const,
      registers,
    });
    this.#budgetRefusals = new Counter({
      name: "sluice_budget_refusals_total",
      help: "Chats refused with budget_exhausted before any call, by site and the cap's scope (day, month, visitor_day, request).",
      labelNames: ["site", "scope"] as const,
      registers,
    });
    this.#retries = new Counter({
      name: "sluice_retries_total",
      help: "Provider call attempts after a chat's first: the same target again after a retryable failure (backoff) or the next target (failover).",
      labelNames: ["provider", "model", "kind"] as const,
      registers,
    });
    this.#settleLatency = new Histogram({
      name: "sluice_ledger_settle_seconds",
      help: "Time from a settlement's queueing to its batch being durable (committed, or journaled when the database refuses), in seconds.",
      buckets: SETTLE_BUCKETS,
      registers,
    });
    const circuitState = (): Map<string, { provider: string; model: string; value: number }> => {
      // Models outside the catalog share one series per provider: the worst of their states.
      const series = new Map<string, { provider: string; model: string; value: number }>();
      for (const [targetId, state] of this.#sources.circuits()) {
        const slash = targetId.indexOf("/");
        const provider = targetId.slice(0, slash);
        const model = this.#model(provider, targetId.slice(slash + 1));
        const key = `${provider}/${model}`;
        const value = Math.max(BREAKER_VALUES[state], series.get(key)?.value ?? 0);
        series.set(key, { provider, model, value });
      }
      return series;
    };
    new Gauge({
      name: "sluice_breaker_state",
      help: "Circuit breaker of each target dialled so far: 0 closed, 1 half-open, 2 open.",
      labelNames: ["provider", "model"] as const,
      registers,
      collect() {
        this.reset();
        for (const { provider, model, value } of circuitState().values()) {
          this.set({ provider, model }, value);
        }
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: "sluice_" });
  }

  /** The exposition's Content-Type (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  refused(siteId: string, refusal: Refusal): void {
    if (refusal.code !== "budget_exhausted") return;
    const scope = refusal.details.scope;
    this.#budgetRefusals.inc({
      site: siteId,
      scope: typeof scope === "string" ? scope : "unknown",
    });
  }

  opened(target: RouteTarget): void {
    this.#streamsOpen.inc({ provider: target.info.provider });
  }

  settled(siteId: string, outcome: SettledRequest, opened: boolean): void {
    const { provider, status, usage } = outcome;
    const model = this.#model(provider, outcome.model);
    if (opened) this.#streamsOpen.dec({ provider });
    this.#requests.inc({ provider, model, status });
    this.#duration.observe({ provider, model, status }, outcome.latencyMs / 1000);
    if (outcome.ttfcMs !== null) this.#ttfc.observe({ provider, model }, outcome.ttfcMs / 1000);
    const site = siteId;
    this.#tokens.inc({ site, provider, type: "input" }, usage.inputTokens);
    this.#tokens.inc({ site, provider, type: "output" }, usage.outputTokens);
    this.#tokens.inc({ site, provider, type: "cache_read" }, usage.cacheReadTokens);
    this.#tokens.inc({ site, provider, type: "cache_write" }, usage.cacheWriteTokens);
    this.#cost.inc({ site, provider }, picoUsdToUsd(outcome.costPicoUsd));
  }

  retried(target: RouteTarget, kind: RetryKind): void {
    const { provider, model } = target.info;
    this.#retries.inc({ provider, model: this.#model(provider, model), kind });
  }

  /** One settlement was durable `seconds` after it was queued. */
  settledIn(seconds: number): void {
    this.#settleLatency.observe(seconds);
  }

  #model(provider: string, model: string): string {
    return this.#sources.isCatalogModel(provider, model) ? model : OTHER_MODEL;
  }
}
