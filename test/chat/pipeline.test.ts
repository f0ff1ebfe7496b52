import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ErrorEvent, UsageFinalEvent, UsageStartEvent } from "../../contract/events.ts";
import type { ChatSink } from "../../server/chat/events.ts";
import { runChat } from "../../server/chat/pipeline.ts";
import { loadConfig } from "../../server/config.ts";
import { createLogger } from "../../server/logger.ts";
import type { ProviderEvent } from "../../server/providers/types.ts";
import type { Connect } from "../../server/routing/dialer.ts";
import { createServices, type Services } from "../../server/services.ts";
import { ManualClock } from "../support/clock.ts";

/** Collects what a client would get. */
class RecordingSink implements ChatSink {
  started: UsageStartEvent | undefined;
  readonly contents: string[] = [];
  failed: ErrorEvent | undefined;
  final: UsageFinalEvent | undefined;
  start(event: UsageStartEvent) {
    this.started = event;
  }
  content(text: string) {
    this.contents.push(text);
  }
  fail(event: ErrorEvent) {
    this.failed = event;
  }
  finish(event: UsageFinalEvent) {
    this.final = event;
  }
}

let dir: string | undefined;
let services: Services | undefined;
afterEach(() => {
  services?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  services = undefined;
  dir = undefined;
});

/** The whole chat path on a real SQLite file, with the clock and the transport in the test's hands. */
function setUp(connect: Connect) {
  dir = mkdtempSync(join(tmpdir(), "sluice-pipeline-"));
  const clock = new ManualClock();
  const config = loadConfig({
    SLUICE_DATA_DIR: dir,
    SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
    SLUICE_STREAM_IDLE_TIMEOUT_MS: "5000",
    SLUICE_STREAM_MAX_MS: "60000",
  });
  services = createServices(config, createLogger("silent"), { clock, connect });
  const ask = (sink: ChatSink, signal = new AbortController().signal) =>
    runChat(
      (services as Services).chat,
      {
        requestId: `req_${Math.random().toString(36).slice(2)}`,
        siteId: "site",
        request: { messages: [{ role: "user", content: "ping" }], model: "openai/gpt-4o-mini" },
        streamed: true,
        signal,
        receivedAt: clock.monotonic(),
      },
      sink,
    );
  const row = (id: string | undefined) =>
    (services as Services).db
      .prepare("SELECT status, error_code, cost_picousd, ttfc_ms FROM requests WHERE id = ?")
      .get(id);
  return { clock, ask, row };
}

const turns = () => new Promise((resolve) => setImmediate(resolve));

describe("runChat on a clock moved by hand", () => {
  it("bills a finished stream what the provider reported, with its time to first content", async () => {
    let clock: ManualClock | undefined;
    const test = setUp(async () =>
      (async function* (): AsyncIterable<ProviderEvent> {
        clock?.advance(250);
        yield { type: "text-delta", text: "pong" };
        yield { type: "finish", reason: "stop", rawReason: "stop" };
        yield {
          type: "usage",
          usage: {
            inputTokens: 15,
            outputTokens: 1,
            cacheReadTokens: 0,
            cacheWriteTokens: 0,
            reasoningTokens: 0,
          },
        };
      })(),
    );
    clock = test.clock;
    const sink = new RecordingSink();
    await test.ask(sink);
    expect(sink.contents).toEqual(["pong"]);
    expect(sink.final).toMatchObject({
      cost_picousd: 2_850_000,
      ttfc_ms: 250,
      latency_ms: 250,
      usage_source: "reported",
      finish_reason: "stop",
    });
    expect(test.row(sink.started?.request_id)).toEqual({
      status: "ok",
      error_code: null,
      cost_picousd: 2_850_000,
      ttfc_ms: 250,
    });
  });

  it("ends a stream whose provider goes quiet when the idle limit passes, not before", async () => {
    let aborted = false;
    const test = setUp(async (_provider, _call, signal) =>
      (async function* (): AsyncIterable<ProviderEvent> {
        yield { type: "text-delta", text: "Once " };
        yield { type: "text-delta", text: "upon " };
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        aborted = true;
      })(),
    );
    const sink = new RecordingSink();
    const chat = test.ask(sink);
    while (sink.contents.length < 2) await turns();
    test.clock.advance(4999);
    await turns();
    expect(sink.final).toBeUndefined();
    test.clock.advance(1);
    await chat;
    expect(aborted).toBe(true);
    expect(sink.failed?.code).toBe("upstream_stalled");
    expect(sink.final?.usage_source).toBe("estimated");
    expect(sink.final?.output_tokens).toBeGreaterThan(0);
    expect(test.row(sink.started?.request_id)).toMatchObject({
      status: "error",
      error_code: "upstream_stalled",
    });
  });

  it("ends the chat when the client goes, even if the provider ignores the abort", async () => {
    const test = setUp(async () =>
      (async function* (): AsyncIterable<ProviderEvent> {
        yield { type: "text-delta", text: "Once " };
        // Deaf to the abort: never ends by itself.
        await new Promise(() => {});
      })(),
    );
    const client = new AbortController();
    const sink = new RecordingSink();
    const chat = test.ask(sink, client.signal);
    while (sink.contents.length < 1) await turns();
    client.abort(new Error("the client went away"));
    await chat;
    expect(sink.failed).toBeUndefined();
    expect(sink.final?.finish_reason).toBe("aborted");
    expect(test.row(sink.started?.request_id)).toMatchObject({ status: "aborted" });
  });

  it("ends a stream that never stops at SLUICE_STREAM_MAX_MS, counted from the request's arrival", async () => {
    let clock: ManualClock | undefined;
    const test = setUp(async () =>
      (async function* (): AsyncIterable<ProviderEvent> {
        for (;;) {
          clock?.advance(1000);
          yield { type: "text-delta", text: "more " };
        }
      })(),
    );
    clock = test.clock;
    const sink = new RecordingSink();
    await test.ask(sink);
    expect(sink.failed?.code).toBe("stream_timeout");
    // One chunk a second for a 60 s limit: the 60th arrives as the limit passes.
    expect(sink.contents.length).toBeGreaterThanOrEqual(59);
    expect(sink.contents.length).toBeLessThanOrEqual(60);
    expect(sink.final?.latency_ms).toBe(60_000);
  });
});
