import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { costOf } from "../../server/pricing/cost.ts";
import { chatBody, startTestGateway, type TestGateway } from "../support/gateway.ts";

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.stop());

const report = {
  source: "plugin:seo-helper",
  provider: "openai",
  model: "gpt-4o-mini",
  input_tokens: 15,
  output_tokens: 1,
  usage_source: "reported",
  finish_reason: "stop",
  provider_cost_usd: 0.000003,
};

interface Row {
  status: string;
  source: string | null;
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cost_picousd: number;
  priced: number;
  usage_source: string;
  provider_cost_picousd: number | null;
  streamed: number;
}

function row(id: string): Row {
  return gateway.services.db.prepare("SELECT * FROM requests WHERE id = ?").get(id) as Row;
}

function policySpend(): Promise<{ spend: { today: { settled_usd: number } } }> {
  return gateway.request("/v1/policy").then((response) => response.json());
}

describe("POST /v1/external-usage", () => {
  it("prices a call another provider answered from the table, records it with its source, and charges today", async () => {
    const before = (await policySpend()).spend.today.settled_usd;
    const response = await gateway.request("/v1/external-usage", { body: report });
    expect(response.status).toBe(201);
    const answer = (await response.json()) as Record<string, unknown>;
    // The design's check: 15 input + 1 output token of gpt-4o-mini cost exactly 2.85e-06 USD.
    expect(answer).toMatchObject({ cost_usd: 0.00000285, cost_picousd: 2_850_000, priced: true });
    const recorded = row(String(answer.request_id));
    expect(recorded).toMatchObject({
      status: "ok",
      source: "plugin:seo-helper",
      provider: "openai",
      model: "gpt-4o-mini",
      input_tokens: 15,
      output_tokens: 1,
      cost_picousd: 2_850_000,
      priced: 1,
      usage_source: "reported",
      provider_cost_picousd: 3_000_000,
      streamed: 0,
    });
    const after = (await policySpend()).spend.today.settled_usd;
    expect(after - before).toBeCloseTo(0.00000285, 12);
  });

  it("bills a provider the gateway does not know at the protective unpriced rates, flagged", async () => {
    const response = await gateway.request("/v1/external-usage", {
      body: { ...report, provider: "local-llama", model: "llama-3", provider_cost_usd: 0 },
    });
    expect(response.status).toBe(201);
    const answer = (await response.json()) as { request_id: string; priced: boolean };
    expect(answer.priced).toBe(false);
    const known = costOf("openai", "gpt-4o-mini", {
      inputTokens: 15,
      outputTokens: 1,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    }).costPicoUsd;
    expect(row(answer.request_id).cost_picousd).toBeGreaterThan(known);
  });

  it("is listed by /v1/requests (JSON and CSV) and totalled by source in /v1/usage", async () => {
    const listed = (await (await gateway.request("/v1/requests?limit=10")).json()) as {
      data: { source: string | null; provider: string }[];
    };
    expect(listed.data.some((entry) => entry.source === "plugin:seo-helper")).toBe(true);
    const csv = await (await gateway.request("/v1/requests?format=csv")).text();
    const [header, ...lines] = csv.trim().split("\r\n");
    expect(header?.split(",").at(-1)).toBe("source");
    expect(lines.some((line) => line.endsWith(",plugin:seo-helper"))).toBe(true);
    const usage = (await (await gateway.request("/v1/usage?days=1")).json()) as {
      by_source: { source: string | null; requests: number }[];
    };
    expect(usage.by_source).toContainEqual(
      expect.objectContaining({ source: "plugin:seo-helper", requests: 2 }),
    );
  });

  it("records a chat's source, and a chat without one as null", async () => {
    const named = await gateway.request("/v1/chat", {
      body: chatBody("Hello", { stream: false, source: "plugin:ai-client-caller" }),
    });
    expect(named.status).toBe(200);
    const { request_id: namedId } = (await named.json()) as { request_id: string };
    expect(row(namedId).source).toBe("plugin:ai-client-caller");
    const plain = await gateway.request("/v1/chat", { body: chatBody("Hello", { stream: false }) });
    const { request_id: plainId } = (await plain.json()) as { request_id: string };
    expect(row(plainId).source).toBeNull();
  });

  it("refuses a chat whose source breaks the pattern, naming the field", async () => {
    const response = await gateway.request("/v1/chat", {
      body: chatBody("Hello", { stream: false, source: "My Plugin" }),
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error).toMatchObject({ code: "invalid_request" });
    expect(error.message).toMatch(/^source: /);
  });

  it("still records a call once the day's cap is reached (the money is spent)", async () => {
    gateway.services.policies.set(gateway.siteId, "site", {
      dayCapPicoUsd: 1,
      monthCapPicoUsd: null,
      visitorDayCapPicoUsd: null,
      requestCapPicoUsd: 1,
      models: null,
      softThreshold: null,
      timezone: null,
    });
    try {
      const response = await gateway.request("/v1/external-usage", { body: report });
      expect(response.status).toBe(201);
      const refused = await gateway.request("/v1/chat", {
        body: chatBody("Hi", { stream: false }),
      });
      expect(refused.status).toBe(429);
    } finally {
      gateway.services.policies.set(gateway.siteId, "site", {
        dayCapPicoUsd: null,
        monthCapPicoUsd: null,
        visitorDayCapPicoUsd: null,
        requestCapPicoUsd: null,
        models: null,
        softThreshold: null,
        timezone: null,
      });
    }
  });

  it.each([
    [{ ...report, source: "Plugin:Upper" }, "source:"],
    [{ ...report, input_tokens: -1 }, "input_tokens: must be at least 0"],
    [{ ...report, output_tokens: 1.5 }, "output_tokens: must be a whole number"],
    [{ ...report, usage_source: "guessed" }, "usage_source:"],
    [{ ...report, cost_usd: 0 }, 'unknown field "cost_usd"'],
    [{ ...report, provider: "../etc" }, "provider:"],
  ])("refuses a bad report with 400 invalid_request naming the field (%#)", async (body, says) => {
    const response = await gateway.request("/v1/external-usage", { body });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("invalid_request");
    expect(error.message).toContain(says);
  });

  it("refuses an unsigned report with 401 and records nothing", async () => {
    const count = () =>
      gateway.services.db.prepare("SELECT COUNT(*) AS n FROM requests").get() as { n: number };
    const before = count().n;
    const response = await fetch(`${gateway.url}/v1/external-usage`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(report),
    });
    expect(response.status).toBe(401);
    expect(count().n).toBe(before);
  });
});
