import { setTimeout as delay } from "node:timers/promises";
import { createParser } from "eventsource-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { costOf } from "../../server/pricing/cost.ts";
import { demoAnswer } from "../../server/providers/demo/script.ts";
import {
  chatBody,
  type ParsedEvent,
  readEvents,
  startTestGateway,
  type TestGateway,
  toParsed,
} from "../support/gateway.ts";

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.stop());

interface LedgerRow {
  status: string;
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cost_picousd: number;
  usage_source: string;
  finish_reason: string;
  ttfc_ms: number | null;
  latency_ms: number;
  streamed: number;
}

function ledgerRow(requestId: string): LedgerRow | undefined {
  return gateway.services.db.prepare("SELECT * FROM requests WHERE id = ?").get(requestId) as
    | LedgerRow
    | undefined;
}

describe("POST /v1/chat with the demo provider", () => {
  it("streams usage_start, content deltas, usage_final and [DONE], and records the row", async () => {
    const response = await gateway.request("/v1/chat", { body: chatBody("What is Sluice?") });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    const events = await readEvents(response);

    const first = events[0] as ParsedEvent;
    expect(first.event).toBe("usage_start");
    expect(first.json).toMatchObject({
      type: "usage_start",
      provider: "demo",
      model: "sluice-demo",
    });
    expect(first.json?.input_tokens).toBeGreaterThan(0);

    const content = events.filter((event) => event.json?.type === "content");
    expect(content.length).toBeGreaterThan(20);
    expect(
      content.every((event) => event.event === undefined && event.json?.provider === "demo"),
    ).toBe(true);
    const text = content.map((event) => event.json?.data).join("");
    expect(text).toBe(demoAnswer([{ role: "user", content: "What is Sluice?" }]));

    const final = events.at(-2) as ParsedEvent;
    expect(final.event).toBe("usage_final");
    expect(events.at(-1)?.data).toBe("[DONE]");
    const usage = final.json as Record<string, number | string | boolean>;
    expect(usage.request_id).toBe(first.json?.request_id);
    expect(usage.usage_source).toBe("reported");
    expect(usage.finish_reason).toBe("stop");
    const expected = costOf("demo", "sluice-demo", {
      inputTokens: usage.input_tokens as number,
      outputTokens: usage.output_tokens as number,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
    expect(usage.cost_picousd).toBe(expected.costPicoUsd);
    expect(usage.cost_usd).toBe(expected.costPicoUsd / 1e12);
    expect(usage.cost_usd).toBeGreaterThan(0);

    const row = ledgerRow(String(usage.request_id));
    expect(row).toMatchObject({
      status: "ok",
      provider: "demo",
      model: "sluice-demo",
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cost_picousd: usage.cost_picousd,
      usage_source: "reported",
      finish_reason: "stop",
      streamed: 1,
    });
    expect(row?.ttfc_ms).not.toBeNull();
  });

  it("answers in one JSON object with stream: false", async () => {
    const response = await gateway.request("/v1/chat", { body: chatBody("Hi", { stream: false }) });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as Record<string, unknown>;
    expect(answer).toMatchObject({ provider: "demo", model: "sluice-demo", finish_reason: "stop" });
    expect(answer.content).toBe(demoAnswer([{ role: "user", content: "Hi" }]));
    const usage = answer.usage as Record<string, number>;
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.cost_usd).toBeGreaterThan(0);
    expect(ledgerRow(String(answer.request_id))?.streamed).toBe(0);
  });

  it("stops at max_tokens with finish_reason length", async () => {
    const response = await gateway.request("/v1/chat", {
      body: chatBody("Hi", { max_tokens: 5, stream: false }),
    });
    const answer = (await response.json()) as {
      finish_reason: string;
      usage: { output_tokens: number };
    };
    expect(answer.finish_reason).toBe("length");
    expect(answer.usage.output_tokens).toBeLessThanOrEqual(5);
  });

  it("echoes verbatim with /echo, markup included", async () => {
    const hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">';
    const response = await gateway.request("/v1/chat", {
      body: chatBody(`/echo ${hostile}`, { stream: false }),
    });
    expect(((await response.json()) as { content: string }).content).toBe(hostile);
  });

  it("stops the model when the client goes away and bills the partial answer", async () => {
    const slow = await startTestGateway({ SLUICE_DEMO_DELAY_MS: "25" });
    try {
      const controller = new AbortController();
      const response = await slow.request("/v1/chat", {
        body: chatBody("Tell me more"),
        signal: controller.signal,
      });
      const events: ParsedEvent[] = [];
      const parser = createParser({ onEvent: (message) => events.push(toParsed(message)) });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      while (events.filter((event) => event.json?.type === "content").length < 5) {
        const { value } = await reader.read();
        parser.feed(decoder.decode(value, { stream: true }));
      }
      controller.abort();
      const requestId = String(events[0]?.json?.request_id);
      let row: LedgerRow | undefined;
      for (let i = 0; i < 100; i += 1) {
        row = slow.services.db
          .prepare("SELECT * FROM requests WHERE id = ?")
          .get(requestId) as LedgerRow;
        if (row.status !== "open") break;
        await delay(20);
      }
      expect(row?.status).toBe("aborted");
      expect(row?.finish_reason).toBe("aborted");
      expect(row?.usage_source).toBe("estimated");
      const full = demoAnswer([{ role: "user", content: "Tell me more" }]);
      expect(row?.output_tokens).toBeGreaterThanOrEqual(5);
      expect(row?.output_tokens).toBeLessThan(full.split(/\s+/).length / 2);
      expect(row?.cost_picousd).toBeGreaterThan(0);
    } finally {
      await slow.stop();
    }
  });

  it("sends keep-alive comments during a long silence", async () => {
    const quiet = await startTestGateway({
      SLUICE_DEMO_DELAY_MS: "150",
      SLUICE_KEEPALIVE_MS: "40",
    });
    try {
      const response = await quiet.request("/v1/chat", { body: chatBody("Hi", { max_tokens: 3 }) });
      const raw = await response.text();
      expect(raw).toContain(": keep-alive\n\n");
      expect(raw.trimEnd().endsWith("data: [DONE]")).toBe(true);
    } finally {
      await quiet.stop();
    }
  });

  it("keeps sending keep-alive comments to a stream after another one ended", async () => {
    const quiet = await startTestGateway({
      SLUICE_DEMO_DELAY_MS: "150",
      SLUICE_KEEPALIVE_MS: "40",
    });
    try {
      const short = quiet.request("/v1/chat", { body: chatBody("Hi", { max_tokens: 1 }) });
      const long = quiet.request("/v1/chat", { body: chatBody("Hello", { max_tokens: 12 }) });
      const text = async (response: Promise<Response>) => (await response).text();
      const [shortRaw, longRaw] = await Promise.all([text(short), text(long)]);
      expect(shortRaw.trimEnd().endsWith("data: [DONE]")).toBe(true);
      // Between the long stream's second and third deltas (~300 ms in) the short one has ended.
      const pieces = longRaw.split('"type":"content"');
      expect(pieces.length).toBeGreaterThan(3);
      expect(pieces[2]).toContain(": keep-alive\n\n");
    } finally {
      await quiet.stop();
    }
  });

  it("answers buffered when streaming is switched off by configuration", async () => {
    const buffered = await startTestGateway({ SLUICE_STREAMING: "false" });
    try {
      const response = await buffered.request("/v1/chat", { body: chatBody("Hi") });
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      const answer = (await response.json()) as { content: string };
      expect(answer.content.length).toBeGreaterThan(10);
    } finally {
      await buffered.stop();
    }
  });
});

describe("GET /v1/models, /v1/usage and /healthz", () => {
  it("lists the demo model with its price and context window", async () => {
    const response = await gateway.request("/v1/models");
    const { data } = (await response.json()) as { data: Record<string, unknown>[] };
    const demo = data.find((model) => model.id === "demo/sluice-demo");
    expect(demo).toMatchObject({
      context_window: 128000,
      max_output_tokens: 4096,
      input_usd_per_million: 0.15,
    });
    // Providers without a key are not offered.
    expect(data.some((model) => model.provider === "openai")).toBe(false);
  });

  it("totals spend by day and by model", async () => {
    const response = await gateway.request("/v1/usage?days=2");
    const report = (await response.json()) as {
      total: { requests: number; cost_picousd: number };
      by_day: { day: string; requests: number }[];
      by_model: { provider: string; model: string; cost_usd: number }[];
    };
    const rows = gateway.services.db
      .prepare("SELECT COUNT(*) AS n, SUM(cost_picousd) AS cost FROM requests WHERE site_id = ?")
      .get(gateway.siteId) as { n: number; cost: number };
    expect(report.total.requests).toBe(rows.n);
    expect(report.total.cost_picousd).toBe(rows.cost);
    expect(report.by_day.at(-1)?.day).toBe(new Date().toISOString().slice(0, 10));
    expect(report.by_model[0]).toMatchObject({ provider: "demo", model: "sluice-demo" });
  });

  it("rejects a bad days parameter", async () => {
    const response = await gateway.request("/v1/usage?days=0");
    expect(response.status).toBe(400);
  });

  it("answers /healthz without a signature", async () => {
    const response = await fetch(`${gateway.url}/healthz`);
    expect(await response.json()).toMatchObject({ status: "ok", streaming: true });
  });
});
