import { setTimeout as delay } from "node:timers/promises";
import { createParser } from "eventsource-parser";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startWireServer, type WireServer } from "../providers/openai-compatible/server.ts";
import {
  type ParsedEvent,
  readEvents,
  startTestGateway,
  type TestGateway,
  toParsed,
} from "../support/gateway.ts";
import { startSimpleUpstream } from "../support/openai-upstream.ts";

let upstream: WireServer;
let gateway: TestGateway;

const ask = (extra: Record<string, unknown> = {}) => ({
  messages: [{ role: "user", content: "ping" }],
  model: "openai/gpt-4o-mini",
  ...extra,
});

interface Row {
  status: string;
  error_code: string | null;
  output_tokens: number;
  input_tokens: number;
  cost_picousd: number;
  usage_source: string;
  provider: string;
  model: string;
}

function row(id: string): Row {
  return gateway.services.db.prepare("SELECT * FROM requests WHERE id = ?").get(id) as Row;
}

async function settledRow(id: string): Promise<Row> {
  for (let i = 0; i < 100; i += 1) {
    const current = row(id);
    if (current && current.status !== "open") return current;
    await delay(20);
  }
  throw new Error(`request ${id} never settled`);
}

beforeAll(async () => {
  upstream = await startWireServer();
  gateway = await startTestGateway({
    SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
    SLUICE_OPENAI_BASE_URL: upstream.baseUrl("openai"),
    SLUICE_DEEPSEEK_API_KEY: "sk-test-0123456789",
    SLUICE_DEEPSEEK_BASE_URL: upstream.baseUrl("deepseek"),
    SLUICE_RETRY_BASE_DELAY_MS: "5",
    SLUICE_RETRY_MAX_DELAY_MS: "2000",
    SLUICE_FIRST_BYTE_TIMEOUT_MS: "400",
    // Circuit breaking has its own test; here every test starts from a closed circuit.
    SLUICE_BREAKER_FAILURES: "1000",
  });
});
afterAll(async () => {
  await gateway.stop();
  await upstream.close();
});
afterEach(() => {
  expect(upstream.pending(), "every scripted response was used").toBe(0);
  upstream.received.length = 0;
});

describe("the gateway in front of a real provider SDK", () => {
  it("streams an OpenAI answer and bills cached input at the cache price", async () => {
    upstream.script({ kind: "stream", provider: "openai", fixture: "openai-gpt-4o-mini" });
    const response = await gateway.request("/v1/chat", { body: ask() });
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    const final = events.find((event) => event.event === "usage_final")?.json ?? {};
    // 156 uncached × $0.15/M + 1024 cached × $0.075/M + 5 output × $0.60/M.
    expect(final).toMatchObject({
      input_tokens: 1180,
      cache_read_tokens: 1024,
      output_tokens: 5,
      cost_picousd: 103_200_000,
      cost_usd: 0.0001032,
      usage_source: "reported",
      finish_reason: "stop",
    });
    expect(upstream.received[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(await settledRow(String(final.request_id))).toMatchObject({
      status: "ok",
      cost_picousd: 103_200_000,
    });
  });

  it("bills 15 input + 1 output tokens of gpt-4o-mini at exactly 2.85e-06", async () => {
    const pong = await startSimpleUpstream({
      chunks: ["pong"],
      usage: { prompt_tokens: 15, completion_tokens: 1 },
    });
    const local = await startTestGateway({
      SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
      SLUICE_OPENAI_BASE_URL: pong.baseUrl,
    });
    try {
      const events = await readEvents(await local.request("/v1/chat", { body: ask() }));
      expect(events.map((event) => event.event ?? event.json?.type ?? event.data)).toEqual([
        "usage_start",
        "content",
        "usage_final",
        "[DONE]",
      ]);
      expect(events[1]?.json).toEqual({ type: "content", data: "pong", provider: "openai" });
      expect(events[2]?.json?.cost_usd).toBe(2.85e-6);
      expect(events[2]?.json).toMatchObject({ input_tokens: 15, output_tokens: 1 });
    } finally {
      await local.stop();
      await pong.close();
    }
  });

  it("retries a 429 after its retry-after, then streams", async () => {
    upstream.script(
      { kind: "refuse", provider: "openai", status: 429, headers: { "retry-after-ms": "150" } },
      { kind: "stream", provider: "openai", fixture: "openai-gpt-4o-mini" },
    );
    const started = Date.now();
    const response = await gateway.request("/v1/chat", { body: ask() });
    expect(response.status).toBe(200);
    await readEvents(response);
    expect(upstream.received).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("answers a real status, not a 200, when the provider keeps failing", async () => {
    upstream.script(
      { kind: "refuse", provider: "openai", status: 503 },
      { kind: "refuse", provider: "openai", status: 500 },
      { kind: "refuse", provider: "openai", status: 503 },
    );
    const response = await gateway.request("/v1/chat", { body: ask() });
    expect(response.status).toBe(503);
    const { error } = (await response.json()) as { error: { code: string; request_id: string } };
    expect(error.code).toBe("provider_unavailable");
    expect(upstream.received).toHaveLength(3);
    expect(await settledRow(error.request_id)).toMatchObject({
      status: "error",
      error_code: "provider_unavailable",
      cost_picousd: 0,
      usage_source: "none",
    });
  });

  it("does not retry an auth failure and says so with a 502", async () => {
    upstream.script({ kind: "refuse", provider: "openai", status: 401 });
    const response = await gateway.request("/v1/chat", { body: ask() });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      "provider_auth",
    );
    expect(upstream.received).toHaveLength(1);
  });

  it("passes on the provider's 429 with Retry-After when it asks to wait too long", async () => {
    upstream.script({
      kind: "refuse",
      provider: "openai",
      status: 429,
      headers: { "retry-after": "30" },
    });
    const response = await gateway.request("/v1/chat", { body: ask() });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(upstream.received).toHaveLength(1);
  });

  it("answers 504 when the provider sends nothing before the first-byte timeout", async () => {
    upstream.script(
      ...Array.from({ length: 3 }, () => ({
        kind: "stream" as const,
        provider: "openai" as const,
        fixture: "openai-gpt-4o-mini",
        headersDelayMs: 1500,
      })),
    );
    const response = await gateway.request("/v1/chat", { body: ask() });
    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      "provider_unreachable",
    );
  });

  it("fails over to the next candidate for model auto", async () => {
    // A gateway of its own: the shared one's circuit for openai is open by now.
    const local = await startTestGateway({
      SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
      SLUICE_OPENAI_BASE_URL: upstream.baseUrl("openai"),
      SLUICE_DEEPSEEK_API_KEY: "sk-test-0123456789",
      SLUICE_DEEPSEEK_BASE_URL: upstream.baseUrl("deepseek"),
      SLUICE_RETRY_BASE_DELAY_MS: "5",
      SLUICE_AUTO_MODELS: "openai/gpt-4o-mini,deepseek/deepseek-chat",
    });
    // For a 1,024-token answer deepseek-chat is the cheaper candidate, so it is tried first.
    upstream.script(
      { kind: "refuse", provider: "deepseek", status: 500 },
      { kind: "refuse", provider: "deepseek", status: 500 },
      { kind: "refuse", provider: "deepseek", status: 500 },
      { kind: "stream", provider: "openai", fixture: "openai-gpt-4o-mini" },
    );
    try {
      const response = await local.request("/v1/chat", { body: ask({ model: "auto" }) });
      expect(response.status).toBe(200);
      const events = await readEvents(response);
      expect(events[0]?.json).toMatchObject({
        provider: "openai",
        model: "gpt-4o-mini",
        requested_model: "auto",
      });
      expect(upstream.received.map((request) => request.body.model)).toEqual([
        "deepseek-chat",
        "deepseek-chat",
        "deepseek-chat",
        "gpt-4o-mini",
      ]);
      const requestId = String(events[0]?.json?.request_id);
      const settled = local.services.db
        .prepare("SELECT provider, status FROM requests WHERE id = ?")
        .get(requestId);
      expect(settled).toEqual({ provider: "openai", status: "ok" });
    } finally {
      await local.stop();
    }
  });

  it("ends a stream cut mid-way with an error frame, usage_final (estimated) and [DONE]", async () => {
    upstream.script({
      kind: "stream",
      provider: "openai",
      fixture: "openai-gpt-4o-mini",
      fault: { type: "cut", afterEvents: 4 },
    });
    const response = await gateway.request("/v1/chat", { body: ask() });
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    const kinds = events.map((event) => event.event ?? event.json?.type ?? event.data);
    expect(kinds.slice(-3)).toEqual(["error", "usage_final", "[DONE]"]);
    expect(events.at(-3)?.json?.code).toBe("provider_stream_error");
    const final = events.at(-2)?.json ?? {};
    expect(final.usage_source).toBe("estimated");
    expect(final.output_tokens).toBeGreaterThan(0);
    expect(final.cost_picousd).toBeGreaterThan(0);
    expect(await settledRow(String(final.request_id))).toMatchObject({
      status: "error",
      usage_source: "estimated",
    });
  });

  it("ends a malformed chunk with an error frame", async () => {
    upstream.script({
      kind: "stream",
      provider: "openai",
      fixture: "openai-gpt-4o-mini",
      fault: { type: "malformed", afterEvents: 3 },
    });
    const events = await readEvents(await gateway.request("/v1/chat", { body: ask() }));
    const kinds = events.map((event) => event.event ?? event.json?.type ?? event.data);
    expect(kinds.slice(-3)).toEqual(["error", "usage_final", "[DONE]"]);
  });

  it("aborts the provider call when the client goes away, and records what was consumed", async () => {
    upstream.script({
      kind: "stream",
      provider: "openai",
      fixture: "openai-gpt-4o-mini",
      fault: { type: "stall", afterEvents: 4 },
    });
    const controller = new AbortController();
    const response = await gateway.request("/v1/chat", { body: ask(), signal: controller.signal });
    const events: ParsedEvent[] = [];
    const parser = createParser({ onEvent: (message) => events.push(toParsed(message)) });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    while (!events.some((event) => event.json?.type === "content")) {
      const { done, value } = await reader.read();
      if (done) throw new Error("the stream ended before any content");
      parser.feed(new TextDecoder().decode(value));
    }
    controller.abort();
    const closed = await upstream.received[0]?.closed;
    expect(closed?.beforeEnd).toBe(true);
    const settled = await settledRow(String(events[0]?.json?.request_id));
    expect(settled).toMatchObject({ status: "aborted", usage_source: "estimated" });
    expect(settled.output_tokens).toBeGreaterThan(0);
    expect(settled.input_tokens).toBeGreaterThan(0);
  });
});

describe("circuit breaking", () => {
  it("opens a failing model's circuit and answers at once without calling it", async () => {
    const local = await startTestGateway({
      SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
      SLUICE_OPENAI_BASE_URL: upstream.baseUrl("openai"),
      SLUICE_RETRY_ATTEMPTS: "1",
      SLUICE_BREAKER_FAILURES: "2",
    });
    try {
      upstream.script(
        { kind: "refuse", provider: "openai", status: 500 },
        { kind: "refuse", provider: "openai", status: 500 },
      );
      for (let i = 0; i < 2; i += 1) {
        expect((await local.request("/v1/chat", { body: ask() })).status).toBe(503);
      }
      const refused = await local.request("/v1/chat", { body: ask() });
      expect(refused.status).toBe(503);
      // Answered by the open circuit (its words go to the log; the client gets the fixed message).
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
        "provider_unavailable",
      );
      expect(upstream.received).toHaveLength(2);
    } finally {
      await local.stop();
    }
  });
});

describe("backpressure", () => {
  it("a reader that stops reading stalls the upstream instead of filling the gateway's memory", async () => {
    const chunkText = "x".repeat(1000);
    const total = 20_000;
    const fast = await startSimpleUpstream({
      chunks: Array.from({ length: total }, () => chunkText),
      usage: { prompt_tokens: 5, completion_tokens: total },
    });
    const local = await startTestGateway({
      SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
      SLUICE_OPENAI_BASE_URL: fast.baseUrl,
    });
    try {
      const response = await local.request("/v1/chat", { body: ask({ max_tokens: 16_000 }) });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      // Stop reading for a while: the gateway must stop pulling from the upstream.
      await delay(1000);
      const writtenWhilePaused = fast.written;
      await delay(300);
      expect(fast.written).toBe(writtenWhilePaused);
      expect(writtenWhilePaused).toBeLessThan(total * 0.6);
      let received = 0;
      let last = "";
      const parser = createParser({
        onEvent: (message) => {
          if (message.data.startsWith('{"type":"content"')) received += 1;
          last = message.data;
        },
      });
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
      // The first read may have held the first chunks; everything after it arrives.
      expect(received).toBeGreaterThanOrEqual(total - 50);
      expect(last).toBe("[DONE]");
    } finally {
      await local.stop();
      await fast.close();
    }
  });
});
