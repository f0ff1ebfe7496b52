import { describe, expect, it } from "vitest";
import { worstCaseCostPicoUsd } from "../../server/pricing/cost.ts";
import { loadPriceBook } from "../../server/pricing/prices.ts";
import type { ProviderId } from "../../server/providers/types.ts";
import { Refusal } from "../../server/refusal.ts";
import { ModelCatalog } from "../../server/routing/catalog.ts";
import { RouteHealth } from "../../server/routing/health.ts";
import { Planner, type PlannerOptions } from "../../server/routing/planner.ts";
import { ManualClock } from "../support/clock.ts";

const prices = loadPriceBook();
const catalog = new ModelCatalog(prices);
const AUTO = ["openai/gpt-4o", "openai/gpt-4o-mini", "deepseek/deepseek-chat"];
const pricing: PlannerOptions["worstCase"] = (provider, model, input, output) =>
  worstCaseCostPicoUsd(provider, model, input, output, prices);

function planner(options: Partial<PlannerOptions> = {}, health = newHealth()) {
  return new Planner(catalog, health, {
    defaultMaxTokens: 1024,
    autoModels: AUTO,
    isConfigured: (provider: ProviderId) => provider !== "anthropic",
    worstCase: pricing,
    ...options,
  });
}

function newHealth() {
  return new RouteHealth(
    { breakerFailureThreshold: 1, breakerCooldownMs: 30_000 },
    new ManualClock(),
  );
}

function refusalOf(work: () => unknown): Refusal {
  try {
    work();
  } catch (error) {
    if (error instanceof Refusal) return error;
    throw error;
  }
  throw new Error("no refusal");
}

const ids = (targets: { info: { id: string } }[]) => targets.map((target) => target.info.id);

describe("the planner", () => {
  it("refuses, in domain terms, what it cannot plan", () => {
    expect(refusalOf(() => planner().plan("nosuch/model", 10, undefined)).code).toBe(
      "unknown_model",
    );
    expect(refusalOf(() => planner().plan("anthropic/claude-haiku-4-5", 10, undefined)).code).toBe(
      "provider_not_configured",
    );
    const tooLong = refusalOf(() => planner().plan("openai/gpt-4o-mini", 10, 10_000_000));
    expect(tooLong.code).toBe("invalid_request");
    expect(tooLong.message).toMatch(/^max_tokens: must be at most \d+ for openai\/gpt-4o-mini$/);
    expect(refusalOf(() => planner().plan("openai/gpt-4o-mini", 10_000_000, undefined)).code).toBe(
      "context_length_exceeded",
    );
  });

  it("orders auto candidates by pricing's worst case, the one reservations use", () => {
    const cost = (id: string) => {
      const [provider, model] = id.split("/") as [ProviderId, string];
      return pricing(provider, model, 100, 200);
    };
    const byPrice = [...AUTO].sort((a, b) => cost(a) - cost(b));
    expect(ids(planner().plan("auto", 100, 200))).toEqual(byPrice);
    // The planner asks pricing, not a formula of its own: inverted prices invert the order.
    const inverted: PlannerOptions["worstCase"] = (...args) => 1e15 - pricing(...args);
    expect(ids(planner({ worstCase: inverted }).plan("auto", 100, 200))).toEqual(
      [...byPrice].reverse(),
    );
  });

  it("puts a target whose circuit is open last", () => {
    const health = newHealth();
    health.breaker("openai/gpt-4o-mini").recordFailure(new ManualClock().now());
    expect(ids(planner({}, health).plan("auto", 100, 200)).at(-1)).toBe("openai/gpt-4o-mini");
  });

  it("offers cheaper priced models by the same worst case, closest in price first", () => {
    const plan = planner();
    const [gpt4o] = plan.plan("openai/gpt-4o", 100, 200);
    if (!gpt4o) throw new Error("no plan");
    const cheaper = plan.cheaper(gpt4o, 100, 200, new Set(AUTO));
    expect(ids(cheaper).sort()).toEqual(["deepseek/deepseek-chat", "openai/gpt-4o-mini"]);
    const costs = cheaper.map((target) =>
      pricing(target.info.provider, target.info.model, 100, target.maxTokens),
    );
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
    for (const target of cheaper) {
      expect(pricing(target.info.provider, target.info.model, 100, target.maxTokens)).toBeLessThan(
        pricing("openai", "gpt-4o", 100, gpt4o.maxTokens),
      );
    }
  });

  it("refuses a conversation longer than every auto candidate's context window as the request's fault", () => {
    const refusal = refusalOf(() => planner().plan("auto", 10_000_000, undefined));
    expect(refusal.code).toBe("context_length_exceeded");
    expect(refusal.message).toMatch(
      /^messages: about 10000000 tokens do not fit the largest context window \(\d+ tokens\)/,
    );
    // Nothing configured at all is still the gateway's: no_route.
    const nothing = planner({ isConfigured: () => false });
    expect(refusalOf(() => nothing.plan("auto", 100, undefined)).code).toBe("no_route");
  });

  it("plans only from the site's allowlist when it has one", () => {
    expect(ids(planner().plan("auto", 100, 200, new Set(["deepseek/deepseek-chat"])))).toEqual([
      "deepseek/deepseek-chat",
    ]);
  });
});
