import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMPTY_POLICY, type Policy } from "../../server/budget/policy.ts";
import { chatBody, readEvents, startTestGateway, type TestGateway } from "../support/gateway.ts";
import { type SimpleUpstream, startSimpleUpstream } from "../support/openai-upstream.ts";

const USD = 1e12;

function setOperatorPolicy(gateway: TestGateway, policy: Partial<Policy>): void {
  gateway.services.policies.set(gateway.siteId, "operator", { ...EMPTY_POLICY, ...policy });
}

function settledSpend(gateway: TestGateway): number {
  return gateway.services.db
    .prepare("SELECT COALESCE(SUM(cost_picousd), 0) FROM requests WHERE site_id = ?")
    .pluck()
    .get(gateway.siteId) as number;
}

describe("caps under concurrency", () => {
  it("200 concurrent streams against a cap that fits about 20 never overspend", async () => {
    const gateway = await startTestGateway({ SLUICE_DEMO_DELAY_MS: "5" });
    try {
      // The demo's worst case for a 200-token answer: 200 × $0.60/M plus a short input.
      const worstCase = gateway.services.chat.worstCase("demo", "sluice-demo", 32, 200);
      const cap = 20 * worstCase;
      setOperatorPolicy(gateway, { dayCapPicoUsd: cap });
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          gateway.request("/v1/chat", { body: chatBody(`Question ${index}`, { max_tokens: 200 }) }),
        ),
      );
      let streamed = 0;
      for (const response of responses) {
        if (response.status === 200) {
          streamed += 1;
          const events = await readEvents(response);
          expect(events.at(-1)?.data).toBe("[DONE]");
        } else {
          expect(response.status).toBe(429);
          const { error } = (await response.json()) as { error: { code: string; scope: string } };
          expect(error).toMatchObject({ code: "budget_exhausted", scope: "day" });
        }
      }
      expect(streamed).toBeGreaterThanOrEqual(20);
      expect(streamed).toBeLessThan(200);
      expect(settledSpend(gateway)).toBeLessThanOrEqual(cap);
      const reservations = gateway.services.db
        .prepare("SELECT COUNT(*) FROM reservations")
        .pluck()
        .get();
      expect(reservations).toBe(0);
      const counters = gateway.services.db
        .prepare(
          "SELECT settled_picousd AS settled, reserved_picousd AS reserved FROM spend_counters WHERE scope = 'day'",
        )
        .get() as { settled: number; reserved: number };
      expect(counters).toEqual({ settled: settledSpend(gateway), reserved: 0 });
    } finally {
      await gateway.stop();
    }
  });
});

describe("allowlists, degradation and per-visitor caps", () => {
  let upstream: SimpleUpstream;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await startSimpleUpstream({
      chunks: ["pong"],
      usage: { prompt_tokens: 15, completion_tokens: 1 },
    });
    gateway = await startTestGateway({
      SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
      SLUICE_OPENAI_BASE_URL: upstream.baseUrl,
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await upstream.close();
  });

  const ask = (model: string, extra: Record<string, unknown> = {}) => ({
    messages: [{ role: "user", content: "ping" }],
    model,
    ...extra,
  });

  it("refuses a model outside the allowlist, whatever the client sends, and lists only allowed models", async () => {
    setOperatorPolicy(gateway, { models: ["openai/gpt-4o-mini"] });
    const refused = await gateway.request("/v1/chat", { body: ask("demo/sluice-demo") });
    expect(refused.status).toBe(403);
    const { error } = (await refused.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("model_not_allowed");
    expect(error.message).toContain("openai/gpt-4o-mini");
    const { data } = (await (await gateway.request("/v1/models")).json()) as {
      data: { id: string }[];
    };
    expect(data.map((model) => model.id)).toEqual(["openai/gpt-4o-mini"]);
    const auto = await readEvents(await gateway.request("/v1/chat", { body: ask("auto") }));
    expect(auto[0]?.json).toMatchObject({ provider: "openai", model: "gpt-4o-mini" });
  });

  it("degrades to a cheaper allowed model when the requested one no longer fits, and says so", async () => {
    // gpt-4o's worst case for 1,000 tokens is about $0.01; the cap leaves room for gpt-4o-mini only.
    setOperatorPolicy(gateway, {
      models: ["openai/gpt-4o", "openai/gpt-4o-mini"],
      dayCapPicoUsd: 0.005 * USD,
    });
    const events = await readEvents(
      await gateway.request("/v1/chat", { body: ask("openai/gpt-4o", { max_tokens: 1000 }) }),
    );
    expect(events[0]?.json).toMatchObject({
      type: "usage_start",
      provider: "openai",
      model: "gpt-4o-mini",
      requested_model: "openai/gpt-4o",
      degraded: true,
      degraded_from: "openai/gpt-4o",
      max_tokens: 1000,
      max_tokens_lowered_from: null,
    });
    const row = gateway.services.db
      .prepare("SELECT model, degraded_from FROM requests ORDER BY started_at DESC LIMIT 1")
      .get();
    expect(row).toEqual({ model: "gpt-4o-mini", degraded_from: "openai/gpt-4o" });
  });

  it("lowers max_tokens to what fits, and reports it", async () => {
    gateway.services.db.prepare("DELETE FROM spend_counters").run();
    setOperatorPolicy(gateway, { models: ["openai/gpt-4o-mini"], dayCapPicoUsd: 0.0003 * USD });
    const events = await readEvents(
      await gateway.request("/v1/chat", { body: ask("openai/gpt-4o-mini", { max_tokens: 1000 }) }),
    );
    const start = events[0]?.json ?? {};
    expect(start).toMatchObject({ degraded: false, max_tokens_lowered_from: 1000 });
    expect(start.max_tokens).toBeGreaterThanOrEqual(64);
    expect(start.max_tokens).toBeLessThan(500);
    expect(start.reserved_usd).toBeLessThanOrEqual(0.0003);
  });

  it("refuses with budget_exhausted and when the cap resets once nothing fits", async () => {
    setOperatorPolicy(gateway, { dayCapPicoUsd: 1, timezone: "Asia/Tokyo" });
    const response = await gateway.request("/v1/chat", { body: ask("openai/gpt-4o-mini") });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    const { error } = (await response.json()) as { error: Record<string, string> };
    expect(error.code).toBe("budget_exhausted");
    expect(error.message).toMatch(/daily spend cap .* resets at .*Asia\/Tokyo/);
    expect(error.resets_at).toMatch(/T15:00:00\.000Z$/);
  });

  it("holds one visitor to the per-visitor cap and lets the others chat", async () => {
    gateway.services.db.prepare("DELETE FROM spend_counters").run();
    const worstCase = gateway.services.chat.worstCase("openai", "gpt-4o-mini", 32, 100);
    setOperatorPolicy(gateway, { visitorDayCapPicoUsd: worstCase * 1.5 });
    const asVisitor = (user: string) =>
      gateway.request("/v1/chat", {
        body: ask("openai/gpt-4o-mini", { user, max_tokens: 100, stream: false }),
      });
    expect((await asVisitor("visitor-aaaaaaaa")).status).toBe(200);
    // The first answer cost far less than its worst case, so a second fits; then the cap holds.
    let refused: Response | undefined;
    for (let i = 0; i < 2000 && !refused; i += 1) {
      const response = await asVisitor("visitor-aaaaaaaa");
      if (response.status !== 200) refused = response;
      else await response.arrayBuffer();
    }
    if (!refused) throw new Error("the per-visitor cap never refused");
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { scope: string } }).error.scope).toBe(
      "visitor_day",
    );
    expect((await asVisitor("visitor-bbbbbbbb")).status).toBe(200);
  });
});

describe("the signed admin API", () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop());

  it("lets the site make its policy stricter, never looser", async () => {
    setOperatorPolicy(gateway, {
      dayCapPicoUsd: 5 * USD,
      models: ["demo/sluice-demo", "openai/gpt-4o-mini"],
    });
    const stricter = await gateway.request("/v1/policy", {
      method: "PUT",
      body: { day_usd: 2, month_usd: 30, models: ["demo/sluice-demo"], timezone: "Europe/Paris" },
    });
    expect(stricter.status).toBe(200);
    const shown = (await stricter.json()) as Record<string, Record<string, unknown>>;
    expect(shown.effective).toMatchObject({
      day_usd: 2,
      month_usd: 30,
      models: ["demo/sluice-demo"],
      timezone: "Europe/Paris",
    });
    expect(shown.operator?.day_usd).toBe(5);

    const looser = await gateway.request("/v1/policy", {
      method: "PUT",
      body: { day_usd: 10, models: ["xai/grok-3"] },
    });
    expect(looser.status).toBe(400);
    const { error } = (await looser.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("policy_too_loose");
    expect(error.message).toContain("day_usd: must be at most 5");
    expect(error.message).toContain("xai/grok-3");

    const unknown = await gateway.request("/v1/policy", { method: "PUT", body: { daily: 1 } });
    expect(unknown.status).toBe(400);
  });

  it("reports spend against the caps with a warning past the soft threshold", async () => {
    setOperatorPolicy(gateway, {});
    await gateway.request("/v1/policy", {
      method: "PUT",
      body: { day_usd: null, month_usd: null, models: null },
    });
    const answer = await gateway.request("/v1/chat", { body: chatBody("Hi", { stream: false }) });
    const { usage } = (await answer.json()) as { usage: { cost_usd: number } };
    await gateway.request("/v1/policy", { method: "PUT", body: { day_usd: usage.cost_usd * 1.1 } });
    const policy = (await (await gateway.request("/v1/policy")).json()) as {
      spend: { today: { settled_usd: number; warning: boolean; used_fraction: number } };
    };
    expect(policy.spend.today.settled_usd).toBeCloseTo(usage.cost_usd, 12);
    expect(policy.spend.today.used_fraction).toBeGreaterThan(0.8);
    expect(policy.spend.today.warning).toBe(true);
  });

  it("lists recent requests as JSON and CSV", async () => {
    await gateway.request("/v1/policy", { method: "PUT", body: { day_usd: null } });
    for (let index = 0; index < 4; index += 1) {
      await gateway.request("/v1/chat", { body: chatBody(`Row ${index}`, { stream: false }) });
    }
    const json = (await (await gateway.request("/v1/requests?limit=5")).json()) as {
      data: Record<string, unknown>[];
    };
    expect(json.data[0]).toMatchObject({
      provider: "demo",
      model: "sluice-demo",
      status: "ok",
      finish_reason: "stop",
    });
    const all = (await (await gateway.request("/v1/requests?limit=500")).json()) as {
      data: { id: string }[];
      total: number;
      as_of: number;
    };
    expect(all.total).toBe(all.data.length);
    expect(all.total).toBeGreaterThan(2);
    // A later page, read at page 1's moment, is the same rows whatever arrived since.
    await gateway.request("/v1/chat", { body: chatBody("Hi", { stream: false }) });
    const second = (await (
      await gateway.request(`/v1/requests?limit=2&offset=2&before=${all.as_of}`)
    ).json()) as { data: { id: string }[]; total: number };
    expect(second.total).toBe(all.total);
    expect(second.data.map((row) => row.id)).toEqual(all.data.slice(2, 4).map((row) => row.id));
    const fresh = (await (await gateway.request("/v1/requests?limit=1")).json()) as {
      total: number;
    };
    expect(fresh.total).toBe(all.total + 1);
    for (const offset of ["-1", "1.5", "x"]) {
      expect((await gateway.request(`/v1/requests?offset=${offset}`)).status).toBe(400);
    }
    const csv = await gateway.request("/v1/requests?format=csv");
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toMatch(/^id,started_at,provider,model,/);
    expect(lines).toHaveLength(fresh.total + 1);
    expect((await gateway.request("/v1/requests?format=xml")).status).toBe(400);
  });
});
