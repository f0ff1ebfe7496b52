import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapter } from "../../../server/providers/anthropic/index.ts";
import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderRateLimitError,
  ProviderServerError,
} from "../../../server/providers/errors.ts";
import type { ProviderAdapter } from "../../../server/providers/types.ts";
import {
  callFor,
  drain,
  expectAbortBeforeHeaders,
  expectAbortMidStream,
  expectConnectionError,
  expectEarlyExitCloses,
  expectOpenAfterHeaders,
  expectRefused,
  expectStreamError,
  foldingCall,
  openAndDrain,
} from "../support/adapter-checks.ts";
import {
  type AnthropicTestServer,
  messageDelta,
  messageStart,
  messageStop,
  ping,
  startAnthropicServer,
  textBlock,
  thinkingBlock,
} from "./server.ts";

const API_KEY = "sk-ant-test-key";

let server: AnthropicTestServer;
let adapter: ProviderAdapter;

beforeAll(async () => {
  server = await startAnthropicServer();
  adapter = createAdapter({ apiKey: API_KEY, baseUrl: server.url });
});

afterAll(async () => {
  await server.close();
});

describe("anthropic adapter: a normal stream", () => {
  it("streams text in order, folds usage, maps the finish and sends a well-formed request", async () => {
    const model = "claude-happy";
    server.script(model, {
      kind: "stream",
      steps: [
        messageStart(model, { input_tokens: 21, output_tokens: 1 }),
        ping,
        ...thinkingBlock(0, "The user wants pong."),
        ...textBlock(1, ["Po", "ng", ", ", "naïve ✓"]),
        ping,
        messageDelta("end_turn", {
          output_tokens: 9,
          output_tokens_details: { thinking_tokens: 5 },
        }),
        messageStop,
      ],
    });

    const stream = await adapter.open(foldingCall(model), new AbortController().signal);
    const { events, error } = await drain(stream);

    expect(error).toBeUndefined();
    expect(events).toEqual([
      {
        type: "usage",
        usage: {
          inputTokens: 21,
          outputTokens: 1,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          reasoningTokens: 0,
        },
      },
      { type: "text-delta", text: "Po" },
      { type: "text-delta", text: "ng" },
      { type: "text-delta", text: ", " },
      { type: "text-delta", text: "naïve ✓" },
      {
        type: "usage",
        usage: {
          inputTokens: 21,
          outputTokens: 9,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          reasoningTokens: 5,
        },
      },
      { type: "finish", reason: "stop", rawReason: "end_turn" },
    ]);

    const [request] = server.requestsFor(model);
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/v1/messages");
    // SDK 1.x sends the key as a bearer token and pins API version 2026-10-21.
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers["anthropic-version"]).toBe("2026-10-21");
    expect(request?.body).toEqual({
      model,
      max_tokens: 128,
      stream: true,
      system: "Be brief.\n\nAnswer in English.",
      messages: [
        { role: "user", content: "Hello\n\nSay pong" },
        { role: "assistant", content: "Sure." },
        { role: "user", content: "Now." },
      ],
    });
  });

  it("normalizes cache tokens and lets each cumulative message_delta overwrite, not add", async () => {
    const model = "claude-cache";
    server.script(model, {
      kind: "stream",
      steps: [
        messageStart(model, {
          input_tokens: 12,
          cache_creation_input_tokens: 300,
          cache_read_input_tokens: 2000,
          output_tokens: 1,
        }),
        ...textBlock(0, ["a"]),
        messageDelta(null, { output_tokens: 5 }),
        ...textBlock(1, ["b"]),
        messageDelta("max_tokens", {
          input_tokens: 14,
          cache_creation_input_tokens: 300,
          cache_read_input_tokens: 2000,
          output_tokens: 12,
        }),
        messageStop,
      ],
    });

    const { events, error } = await openAndDrain(adapter, model);

    expect(error).toBeUndefined();
    const usages = events.flatMap((event) => (event.type === "usage" ? [event.usage] : []));
    expect(usages).toEqual([
      {
        inputTokens: 2312,
        outputTokens: 1,
        cacheReadTokens: 2000,
        cacheWriteTokens: 300,
        reasoningTokens: 0,
      },
      {
        inputTokens: 2312,
        outputTokens: 5,
        cacheReadTokens: 2000,
        cacheWriteTokens: 300,
        reasoningTokens: 0,
      },
      {
        inputTokens: 2314,
        outputTokens: 12,
        cacheReadTokens: 2000,
        cacheWriteTokens: 300,
        reasoningTokens: 0,
      },
    ]);
    expect(events.at(-1)).toEqual({ type: "finish", reason: "length", rawReason: "max_tokens" });
  });

  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["refusal", "content_filter"],
    ["tool_use", "tool_calls"],
    ["pause_turn", "other"],
  ])("maps stop_reason %s to %s", async (stopReason, reason) => {
    const model = `claude-finish-${stopReason}`;
    server.script(model, {
      kind: "stream",
      steps: [
        messageStart(model, { input_tokens: 3, output_tokens: 1 }),
        ...textBlock(0, ["x"]),
        messageDelta(stopReason, { output_tokens: 2 }),
        messageStop,
      ],
    });
    const { events } = await openAndDrain(adapter, model);
    expect(events.at(-1)).toEqual({ type: "finish", reason, rawReason: stopReason });
  });
});

describe("anthropic adapter: refusals before the stream", () => {
  it("rejects a 429 with a rate-limit error carrying retry-after and the request id, without retrying", async () => {
    const error = await expectRefused(
      { adapter, server },
      "claude-429",
      {
        status: 429,
        errorType: "rate_limit_error",
        message: "Number of request tokens has exceeded your per-minute rate limit",
        headers: { "retry-after": "7" },
      },
      ProviderRateLimitError,
      {
        provider: "anthropic",
        retryable: true,
        upstreamStatus: 429,
        retryAfterMs: 7000,
        upstreamRequestId: expect.stringMatching(/^req_test/),
      },
    );
    expect(error.message).toContain("rate_limit_error");
  });

  it.each([
    [500, "api_error", ProviderServerError],
    [529, "overloaded_error", ProviderServerError],
    [401, "authentication_error", ProviderAuthError],
    [404, "not_found_error", ProviderBadRequestError],
  ])("rejects a %i (%s) with the matching error class", async (status, errorType, errorClass) => {
    await expectRefused(
      { adapter, server },
      `claude-status-${status}`,
      { status, errorType, message: `upstream said ${status}` },
      errorClass,
      { upstreamStatus: status, provider: "anthropic" },
    );
  });

  it("waits for a slow first byte and resolves only once the headers arrived", async () => {
    const model = "claude-slow";
    await expectOpenAfterHeaders(
      { adapter, server },
      model,
      [
        messageStart(model, { input_tokens: 3, output_tokens: 1 }),
        ...textBlock(0, ["late"]),
        messageDelta("end_turn", { output_tokens: 2 }),
        messageStop,
      ],
      "late",
    );
  });

  it("turns an abort while waiting for the first byte into an AbortError", async () => {
    await expectAbortBeforeHeaders({ adapter, server }, "claude-slow-abort");
  });

  it("rejects an already aborted signal without calling upstream", async () => {
    const model = "claude-pre-aborted";
    const controller = new AbortController();
    controller.abort();
    await expect(adapter.open(callFor(model), controller.signal)).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(server.requestsFor(model)).toHaveLength(0);
  });

  it("reports an unreachable upstream as a connection error", async () => {
    const closed = await startAnthropicServer();
    await closed.close();
    const unreachable = createAdapter({ apiKey: API_KEY, baseUrl: closed.url });

    await expectConnectionError(unreachable, "claude-nowhere");
  });

  it("refuses to open without an API key", async () => {
    const keyless = createAdapter({ baseUrl: server.url });
    await expect(
      keyless.open(callFor("claude-keyless"), new AbortController().signal),
    ).rejects.toBeInstanceOf(ProviderAuthError);
    expect(server.requestsFor("claude-keyless")).toHaveLength(0);
  });
});

describe("anthropic adapter: failures after the stream began", () => {
  const opening = [
    messageStart("claude", { input_tokens: 4, output_tokens: 1 }),
    ...textBlock(0, ["Hel", "lo"]).slice(0, 3),
  ];

  it("throws a stream error from the iterator when the socket is cut", async () => {
    const { events, error } = await expectStreamError(
      { adapter, server },
      "claude-cut",
      [...opening, { cut: true }],
      "Hello",
    );

    expect(events[0]?.type).toBe("usage");
    expect(error.upstreamRequestId).toMatch(/^req_test/);
  });

  it("throws a stream error when the stream ends cleanly but without message_stop", async () => {
    const { events, error } = await expectStreamError(
      { adapter, server },
      "claude-no-stop",
      [...opening, messageDelta("end_turn", { output_tokens: 3 })],
      "Hello",
    );

    expect(events.some((event) => event.type === "finish")).toBe(false);
    expect(error.message).toContain("message_stop");
  });

  it("throws a stream error on a malformed data line", async () => {
    const { error } = await expectStreamError(
      { adapter, server },
      "claude-malformed",
      [
        ...opening,
        { raw: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,\n\n' },
        messageStop,
      ],
      "Hello",
    );

    expect(error.message).toContain("malformed");
  });

  it("throws a stream error on an in-band error event", async () => {
    const { error } = await expectStreamError(
      { adapter, server },
      "claude-inband",
      [
        ...opening,
        {
          event: "error",
          data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
        },
      ],
      "Hello",
    );

    expect(error).toMatchObject({ retryable: false, upstreamRequestId: expect.any(String) });
    expect(error.message).toContain("overloaded_error");
  });

  it("stops the upstream on abort and ends the iterator with an AbortError", async () => {
    await expectAbortMidStream({ adapter, server }, "claude-abort", opening, {
      before: ["usage"],
      text: "Hel",
    });
  });

  it("closes the upstream when the caller stops iterating early", async () => {
    await expectEarlyExitCloses({ adapter, server }, "claude-early-exit", opening);
  });
});
