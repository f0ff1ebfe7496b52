import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMPTY_POLICY } from "../../server/budget/policy.ts";
import { ConfigError, loadConfig } from "../../server/config.ts";
import { bearerMatches, isLoopbackAddress } from "../../server/http/routes/metrics.ts";
import { signedHeaders } from "../../server/http/signature.ts";
import { GatewayMetrics, OTHER_MODEL } from "../../server/metrics/gateway-metrics.ts";
import { loadPriceBook } from "../../server/pricing/prices.ts";
import { ProviderServerError } from "../../server/providers/errors.ts";
import { ModelCatalog } from "../../server/routing/catalog.ts";
import { type Connect, Dialer } from "../../server/routing/dialer.ts";
import { RouteHealth } from "../../server/routing/health.ts";
import { ManualClock } from "../support/clock.ts";
import {
  chatBody,
  forEachMessage,
  startTestGateway,
  type TestGateway,
} from "../support/gateway.ts";
import { type MetricFamily, parsePrometheusText, sumOf } from "../support/prometheus-text.ts";

/** Recognisable strings: none of them may turn up in /metrics. */
const PROMPT_CANARY = "PROMPT-CANARY-7f3a";
const VISITOR_CANARY = "visitor-canary-91c2";
const CHATS = 200;
const CONCURRENCY = 20;
const ABORTED = 6;
const REFUSED = 5;

interface Site {
  id: string;
  secret: string;
}

/** A chat signed for `site`: streamed or buffered, cut after its first content when `abort`. */
async function chat(
  gateway: TestGateway,
  site: Site,
  index: number,
  options: { streamed: boolean; abort?: boolean; maxTokens?: number },
): Promise<number> {
  const body = JSON.stringify(
    chatBody(`${PROMPT_CANARY} ${index}: what does a sluice gate do?`, {
      user: `${VISITOR_CANARY}-${index % 7}`,
      max_tokens: options.maxTokens ?? 12,
      stream: options.streamed,
    }),
  );
  const controller = new AbortController();
  const response = await fetch(`${gateway.url}/v1/chat`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...signedHeaders({
        siteId: site.id,
        secret: site.secret,
        method: "POST",
        path: "/v1/chat",
        body,
      }),
    },
    body,
    signal: controller.signal,
  });
  if (!options.abort) {
    await response.arrayBuffer();
    return response.status;
  }
  await forEachMessage(response, (message) => {
    if (message.data.includes('"type":"content"')) controller.abort();
  }).catch((error: unknown) => {
    if (!controller.signal.aborted) throw error;
  });
  return response.status;
}

/** Runs `count` jobs, `concurrency` at a time. */
async function pool(count: number, concurrency: number, job: (index: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await job(index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function settledAll(gateway: TestGateway): Promise<void> {
  const started = Date.now();
  while (gateway.services.inflight.size > 0) {
    if (Date.now() - started > 10_000) throw new Error("chats still in flight after 10 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function scrape(gateway: TestGateway, headers: Record<string, string> = {}) {
  return fetch(`${gateway.url}/metrics`, { headers });
}

function labelValues(families: Map<string, MetricFamily>): string[] {
  return [...families.values()].flatMap((family) =>
    family.samples.flatMap((sample) => Object.values(sample.labels)),
  );
}

describe("GET /metrics after a load of chats (loopback, no token)", () => {
  let gateway: TestGateway;
  let second: Site;
  let capped: Site;
  let text: string;
  let families: Map<string, MetricFamily>;

  beforeAll(async () => {
    gateway = await startTestGateway({ SLUICE_DEMO_DELAY_MS: "1" });
    const first = { id: gateway.siteId, secret: gateway.secret };
    second = { id: "second-site", secret: gateway.services.sites.add("second-site") };
    capped = { id: "capped-site", secret: gateway.services.sites.add("capped-site") };
    // A ceiling no chat fits under: every chat of this site is refused with scope "request".
    gateway.services.policies.set(capped.id, "site", { ...EMPTY_POLICY, requestCapPicoUsd: 1 });

    const statuses: number[] = [];
    await pool(CHATS, CONCURRENCY, async (index) => {
      const site = index % 3 === 0 ? second : first;
      statuses.push(await chat(gateway, site, index, { streamed: index % 4 !== 0 }));
    });
    expect(statuses.filter((status) => status === 200)).toHaveLength(CHATS);
    // Long answers cut by the client after their first word: billed as aborted.
    await pool(ABORTED, ABORTED, async (index) => {
      await chat(gateway, first, index, { streamed: true, abort: true, maxTokens: 1000 });
    });
    for (let index = 0; index < REFUSED; index += 1) {
      expect(await chat(gateway, capped, index, { streamed: true })).toBe(429);
    }
    await settledAll(gateway);

    const response = await scrape(gateway);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    text = await response.text();
    families = parsePrometheusText(text);
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
  });

  it("names every metric with its type and help", () => {
    const expected: Record<string, string> = {
      sluice_requests_total: "counter",
      sluice_streams_open: "gauge",
      sluice_ttfc_seconds: "histogram",
      sluice_request_duration_seconds: "histogram",
      sluice_tokens_total: "counter",
      sluice_cost_usd_total: "counter",
      sluice_budget_refusals_total: "counter",
      sluice_breaker_state: "gauge",
      sluice_retries_total: "counter",
      sluice_ledger_settle_seconds: "histogram",
    };
    for (const [name, type] of Object.entries(expected)) {
      expect(families.get(name)?.type, name).toBe(type);
      expect(families.get(name)?.help, name).not.toBe("");
    }
    expect(families.get("sluice_cost_usd_total")?.help).toMatch(/US dollars/);
  });

  it("counts requests by provider, model and status as the ledger does", () => {
    const rows = gateway.services.db
      .prepare(
        "SELECT provider, model, status, COUNT(*) AS count FROM requests GROUP BY provider, model, status",
      )
      .all() as { provider: string; model: string; status: string; count: number }[];
    const byStatus = Object.fromEntries(rows.map((row) => [row.status, row.count]));
    expect(byStatus).toEqual({ ok: CHATS, aborted: ABORTED });
    for (const row of rows) {
      const labels = { provider: row.provider, model: row.model, status: row.status };
      expect(sumOf(families, "sluice_requests_total", labels), JSON.stringify(labels)).toBe(
        row.count,
      );
    }
    expect(sumOf(families, "sluice_requests_total")).toBe(CHATS + ABORTED);
    // Every settled chat went through the settlement queue, and its durations were observed.
    expect(sumOf(families, "sluice_ledger_settle_seconds_count")).toBe(CHATS + ABORTED);
    expect(sumOf(families, "sluice_request_duration_seconds_count")).toBe(CHATS + ABORTED);
    const withTtfc = gateway.services.db
      .prepare("SELECT COUNT(*) AS count FROM requests WHERE ttfc_ms IS NOT NULL")
      .get() as { count: number };
    expect(sumOf(families, "sluice_ttfc_seconds_count")).toBe(withTtfc.count);
  });

  it("counts tokens and cost by site and provider as the ledger does", () => {
    const rows = gateway.services.db
      .prepare(
        `SELECT site_id AS site, provider, SUM(input_tokens) AS input, SUM(output_tokens) AS output,
           SUM(cache_read_tokens) AS cacheRead, SUM(cost_picousd) AS cost
         FROM requests GROUP BY site_id, provider`,
      )
      .all() as {
      site: string;
      provider: string;
      input: number;
      output: number;
      cacheRead: number;
      cost: number;
    }[];
    expect(rows.map((row) => row.site).sort()).toEqual(["second-site", "test-site"]);
    for (const { site, provider, input, output, cacheRead, cost } of rows) {
      expect(input).toBeGreaterThan(0);
      expect(cost).toBeGreaterThan(0);
      expect(sumOf(families, "sluice_tokens_total", { site, provider, type: "input" })).toBe(input);
      expect(sumOf(families, "sluice_tokens_total", { site, provider, type: "output" })).toBe(
        output,
      );
      expect(sumOf(families, "sluice_tokens_total", { site, provider, type: "cache_read" })).toBe(
        cacheRead,
      );
      const usd = sumOf(families, "sluice_cost_usd_total", { site, provider });
      expect(Math.abs(usd - cost / 1e12)).toBeLessThanOrEqual((cost / 1e12) * 1e-9);
    }
  });

  it("counts the budget's refusals by scope; they have no ledger row", () => {
    expect(
      sumOf(families, "sluice_budget_refusals_total", { site: capped.id, scope: "request" }),
    ).toBe(REFUSED);
    const rows = gateway.services.db
      .prepare("SELECT COUNT(*) AS count FROM requests WHERE site_id = ?")
      .get(capped.id) as { count: number };
    expect(rows.count).toBe(0);
  });

  it("shows no stream open once every chat settled, a closed circuit and no retries", () => {
    expect(sumOf(families, "sluice_streams_open")).toBe(0);
    const breaker = families.get("sluice_breaker_state")?.samples ?? [];
    expect(breaker).toContainEqual({
      name: "sluice_breaker_state",
      labels: { provider: "demo", model: "sluice-demo" },
      value: 0,
    });
    expect(sumOf(families, "sluice_retries_total")).toBe(0);
  });

  it("refuses a loopback scrape that came through a reverse proxy (404)", async () => {
    for (const [name, value] of [
      ["X-Forwarded-For", "203.0.113.9"],
      ["X-Forwarded-For", "127.0.0.1"],
      ["Forwarded", "for=203.0.113.9"],
      ["X-Real-IP", "203.0.113.9"],
    ] as const) {
      const response = await scrape(gateway, { [name]: value });
      expect(response.status, name).toBe(404);
      expect(await response.text()).not.toContain("sluice_");
    }
  });

  it("puts no prompt, visitor id or secret in a label, or anywhere in the text", () => {
    expect(text).not.toContain(PROMPT_CANARY);
    expect(text).not.toContain(VISITOR_CANARY);
    expect(text).not.toContain("sluice gate");
    expect(text).not.toContain(gateway.secret);
    expect(text).not.toContain(second.secret);
    for (const value of labelValues(families)) {
      expect(value).toMatch(/^[A-Za-z0-9_.:+\-/]*$/);
    }
  });
});

describe("GET /metrics behind SLUICE_METRICS_TOKEN", () => {
  const token = "metrics-token-0123456789abcdef";
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ SLUICE_METRICS_TOKEN: token });
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it("refuses a scrape without the token or with a wrong one (401), answers with it", async () => {
    for (const authorization of [
      undefined,
      "Bearer wrong-token-0123456789abcdef",
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      `Basic ${Buffer.from(`x:${token}`).toString("base64")}`,
      token,
    ]) {
      const response = await scrape(
        gateway,
        authorization === undefined ? {} : { Authorization: authorization },
      );
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(await response.text()).not.toContain("sluice_");
    }
    // The token opens it from anywhere, through a proxy too.
    const response = await scrape(gateway, {
      Authorization: `Bearer ${token}`,
      "X-Forwarded-For": "203.0.113.9",
    });
    expect(response.status).toBe(200);
    const families = parsePrometheusText(await response.text());
    expect(families.get("sluice_requests_total")?.type).toBe("counter");
  });

  it("keeps its own registry: another gateway's chats are not counted here", async () => {
    const answered = await gateway.request("/v1/chat", { body: chatBody("hi", { max_tokens: 8 }) });
    await answered.text();
    await settledAll(gateway);
    const response = await scrape(gateway, { Authorization: `bearer ${token}` });
    const families = parsePrometheusText(await response.text());
    expect(sumOf(families, "sluice_requests_total")).toBe(1);
  });
});

describe("the metrics' access rules and labels", () => {
  it("counts only loopback addresses as loopback", () => {
    for (const address of [
      "127.0.0.1",
      "127.8.9.10",
      "::1",
      "::ffff:127.0.0.1",
      "0:0:0:0:0:0:0:1",
    ]) {
      expect(isLoopbackAddress(address), address).toBe(true);
    }
    for (const address of [
      undefined,
      "",
      "10.0.0.1",
      "128.0.0.1",
      "::ffff:10.0.0.1",
      "::2",
      "fe80::1",
      "127.0.0.1.example.com",
      "::ffff:127.0.0.1:80",
    ]) {
      expect(isLoopbackAddress(address), String(address)).toBe(false);
    }
  });

  it("matches the bearer token exactly", () => {
    const token = "s3cret-token-abcdef012345";
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`bearer  ${token}`, token)).toBe(true);
    for (const header of [undefined, "", "Bearer", "Bearer ", `Bearer ${token} x`, token]) {
      expect(bearerMatches(header, token), String(header)).toBe(false);
    }
    expect(bearerMatches("Bearer ", "")).toBe(false);
  });

  it("refuses a short metrics token in the configuration", () => {
    expect(() => loadConfig({ SLUICE_METRICS_TOKEN: "short" })).toThrow(ConfigError);
    expect(loadConfig({ SLUICE_METRICS_TOKEN: "  " }).metricsToken).toBeUndefined();
    expect(loadConfig({}).metricsToken).toBeUndefined();
  });

  it("counts retries and failovers, shows an open circuit, and names only catalog models", async () => {
    const catalog = new ModelCatalog(loadPriceBook());
    const clock = new ManualClock();
    const health = new RouteHealth(
      { breakerFailureThreshold: 1, breakerCooldownMs: 30_000 },
      clock,
    );
    const metrics = new GatewayMetrics({
      isCatalogModel: (provider, model) => catalog.find(`${provider}/${model}`)?.priced === true,
      circuits: () => health.circuits(),
    });
    const outcomes = [new ProviderServerError("down", { provider: "openai" })];
    const connect: Connect = async () => {
      const failure = outcomes.shift();
      if (failure) throw failure;
      return (async function* () {})();
    };
    const dialer = new Dialer(connect, health, clock, {
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 },
      firstByteTimeoutMs: 1000,
      random: () => 0.5,
      onRetry: (target, kind) => metrics.retried(target, kind),
    });
    const mini = { info: catalog.find("openai/gpt-4o-mini"), maxTokens: 10 };
    const unpriced = { info: catalog.find("huggingface/acme/private-model"), maxTokens: 10 };
    if (!mini.info || !unpriced.info) throw new Error("catalog lookups failed");
    // One failure opens gpt-4o-mini's circuit (threshold 1): the retry is a failover.
    const targets = [mini, unpriced] as Parameters<Dialer["dial"]>[0];
    const opened = await dialer.dial(
      targets,
      [{ role: "user", content: "hi" }],
      undefined,
      new AbortController().signal,
    );
    expect(opened.target.info.model).toBe("acme/private-model");

    const families = parsePrometheusText(await metrics.render());
    expect(families.get("sluice_retries_total")?.samples).toEqual([
      {
        name: "sluice_retries_total",
        labels: { provider: "huggingface", model: OTHER_MODEL, kind: "failover" },
        value: 1,
      },
    ]);
    const breakers = families.get("sluice_breaker_state")?.samples ?? [];
    expect(breakers).toContainEqual({
      name: "sluice_breaker_state",
      labels: { provider: "openai", model: "gpt-4o-mini" },
      value: 2,
    });
    expect(breakers).toContainEqual({
      name: "sluice_breaker_state",
      labels: { provider: "huggingface", model: OTHER_MODEL },
      value: 0,
    });
    expect(labelValues(families)).not.toContain("acme/private-model");
  });
});
