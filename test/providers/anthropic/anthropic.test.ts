import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapter } from "../../../server/providers/anthropic/index.ts";
import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderConnectionError,
  ProviderRateLimitError,
  ProviderServerError,
  ProviderStreamError,
} from "../../../server/providers/errors.ts";
import type {
  ProviderAdapter,
  ProviderCall,
  ProviderEvent,
} from "../../../server/providers/types.ts";
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
  adapter = createAdapter({ apiKey: API_KEY, baseUrl: server.baseUrl });
});

afterAll(async () => {
  await server.close();
});

function callFor(model: string, overrides: Partial<ProviderCall> = {}): ProviderCall {
  return { model, messages: [{ role: "user", content: "Say pong" }], maxTokens: 64, ...overrides };
}

async function drain(stream: AsyncIterable<ProviderEvent>) {
  const events: ProviderEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

function textOf(events: ProviderEvent[]): string {
  return events.map((event) => (event.type === "text-delta" ? event.text : "")).join("");
}

function requestsFor(model: string) {
  return server.requests.filter((request) => request.body.model === model);
}

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

    const stream = await adapter.open(
      callFor(model, {
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hello" },
          { role: "user", content: "Say pong" },
          { role: "system", content: "Answer in English." },
          { role: "assistant", content: "Sure." },
          { role: "user", content: "Now." },
        ],
        maxTokens: 128,
        temperature: 0.3,
      }),
      new AbortController().signal,
    );
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

    const [request] = requestsFor(model);
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

    const { events, error } = await drain(
      await adapter.open(callFor(model), new AbortController().signal),
    );

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
    const { events } = await drain(
      await adapter.open(callFor(model), new AbortController().signal),
    );
    expect(events.at(-1)).toEqual({ type: "finish", reason, rawReason: stopReason });
  });
});

describe("anthropic adapter: refusals before the stream", () => {
  it("rejects a 429 with a rate-limit error carrying retry-after and the request id, without retrying", async () => {
    const model = "claude-429";
    server.script(model, {
      kind: "error",
      status: 429,
      errorType: "rate_limit_error",
      message: "Number of request tokens has exceeded your per-minute rate limit",
      headers: { "retry-after": "7" },
    });

    const error = await adapter.open(callFor(model), new AbortController().signal).catch((e) => e);

    expect(error).toBeInstanceOf(ProviderRateLimitError);
    expect(error).toMatchObject({
      provider: "anthropic",
      retryable: true,
      upstreamStatus: 429,
      retryAfterMs: 7000,
      upstreamRequestId: expect.stringMatching(/^req_test/),
    });
    expect(error.message).toContain("rate_limit_error");
    expect(requestsFor(model)).toHaveLength(1);
  });

  it.each([
    [500, "api_error", ProviderServerError],
    [529, "overloaded_error", ProviderServerError],
    [401, "authentication_error", ProviderAuthError],
    [404, "not_found_error", ProviderBadRequestError],
  ])("rejects a %i (%s) with the matching error class", async (status, errorType, errorClass) => {
    const model = `claude-status-${status}`;
    server.script(model, { kind: "error", status, errorType, message: `upstream said ${status}` });

    const error = await adapter.open(callFor(model), new AbortController().signal).catch((e) => e);

    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ upstreamStatus: status, provider: "anthropic" });
    expect(requestsFor(model)).toHaveLength(1);
  });

  it("waits for a slow first byte and resolves only once the headers arrived", async () => {
    const model = "claude-slow";
    server.script(model, {
      kind: "stream",
      headersDelayMs: 300,
      steps: [
        messageStart(model, { input_tokens: 3, output_tokens: 1 }),
        ...textBlock(0, ["late"]),
        messageDelta("end_turn", { output_tokens: 2 }),
        messageStop,
      ],
    });

    const stream = await adapter.open(callFor(model), new AbortController().signal);
    const openedAt = Date.now();

    const respondedAt = requestsFor(model)[0]?.respondedAt;
    expect(respondedAt).toBeDefined();
    expect(openedAt).toBeGreaterThanOrEqual(respondedAt ?? Number.POSITIVE_INFINITY);
    const { events, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe("late");
  });

  it("turns an abort while waiting for the first byte into an AbortError", async () => {
    const model = "claude-slow-abort";
    server.script(model, { kind: "stream", headersDelayMs: 5000, steps: [] });
    const controller = new AbortController();

    const opening = adapter.open(callFor(model), controller.signal);
    await waitFor(() => requestsFor(model).length === 1);
    controller.abort();

    await expect(opening).rejects.toMatchObject({ name: "AbortError" });
    await requestsFor(model)[0]?.clientClosed;
  });

  it("rejects an already aborted signal without calling upstream", async () => {
    const model = "claude-pre-aborted";
    const controller = new AbortController();
    controller.abort();
    await expect(adapter.open(callFor(model), controller.signal)).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(requestsFor(model)).toHaveLength(0);
  });

  it("reports an unreachable upstream as a connection error", async () => {
    const closed = await startAnthropicServer();
    await closed.close();
    const unreachable = createAdapter({ apiKey: API_KEY, baseUrl: closed.baseUrl });

    const error = await unreachable
      .open(callFor("claude-nowhere"), new AbortController().signal)
      .catch((e) => e);

    expect(error).toBeInstanceOf(ProviderConnectionError);
    expect(error.retryable).toBe(true);
  });

  it("refuses to open without an API key", async () => {
    const keyless = createAdapter({ baseUrl: server.baseUrl });
    await expect(
      keyless.open(callFor("claude-keyless"), new AbortController().signal),
    ).rejects.toBeInstanceOf(ProviderAuthError);
    expect(requestsFor("claude-keyless")).toHaveLength(0);
  });
});

describe("anthropic adapter: failures after the stream began", () => {
  const opening = [
    messageStart("claude", { input_tokens: 4, output_tokens: 1 }),
    ...textBlock(0, ["Hel", "lo"]).slice(0, 3),
  ];

  it("throws a stream error from the iterator when the socket is cut", async () => {
    const model = "claude-cut";
    server.script(model, { kind: "stream", steps: [...opening, { cut: true }] });

    const stream = await adapter.open(callFor(model), new AbortController().signal);
    const { events, error } = await drain(stream);

    expect(textOf(events)).toBe("Hello");
    expect(events[0]?.type).toBe("usage");
    expect(error).toBeInstanceOf(ProviderStreamError);
    expect((error as ProviderStreamError).upstreamRequestId).toMatch(/^req_test/);
  });

  it("throws a stream error when the stream ends cleanly but without message_stop", async () => {
    const model = "claude-no-stop";
    server.script(model, {
      kind: "stream",
      steps: [...opening, messageDelta("end_turn", { output_tokens: 3 })],
    });

    const { events, error } = await drain(
      await adapter.open(callFor(model), new AbortController().signal),
    );

    expect(textOf(events)).toBe("Hello");
    expect(events.some((event) => event.type === "finish")).toBe(false);
    expect(error).toBeInstanceOf(ProviderStreamError);
    expect((error as Error).message).toContain("message_stop");
  });

  it("throws a stream error on a malformed data line", async () => {
    const model = "claude-malformed";
    server.script(model, {
      kind: "stream",
      steps: [
        ...opening,
        { raw: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,\n\n' },
        messageStop,
      ],
    });

    const { events, error } = await drain(
      await adapter.open(callFor(model), new AbortController().signal),
    );

    expect(textOf(events)).toBe("Hello");
    expect(error).toBeInstanceOf(ProviderStreamError);
    expect((error as Error).message).toContain("malformed");
  });

  it("throws a stream error on an in-band error event", async () => {
    const model = "claude-inband";
    server.script(model, {
      kind: "stream",
      steps: [
        ...opening,
        {
          event: "error",
          data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
        },
      ],
    });

    const { events, error } = await drain(
      await adapter.open(callFor(model), new AbortController().signal),
    );

    expect(textOf(events)).toBe("Hello");
    expect(error).toBeInstanceOf(ProviderStreamError);
    expect(error).toMatchObject({ retryable: false, upstreamRequestId: expect.any(String) });
    expect((error as Error).message).toContain("overloaded_error");
  });

  it("stops the upstream on abort and ends the iterator with an AbortError", async () => {
    const model = "claude-abort";
    server.script(model, { kind: "stream", steps: [...opening, { hang: true }] });
    const controller = new AbortController();

    const stream = await adapter.open(callFor(model), controller.signal);
    const iterator = stream[Symbol.asyncIterator]();
    let step = await iterator.next();
    while (!step.done && step.value.type !== "text-delta") step = await iterator.next();
    expect(step.value).toEqual({ type: "text-delta", text: "Hel" });

    controller.abort();

    // The abort alone closes the upstream connection, before anyone reads on.
    await requestsFor(model)[0]?.clientClosed;
    await expect(drainIterator(iterator)).rejects.toMatchObject({ name: "AbortError" });
  });

  it("closes the upstream when the caller stops iterating early", async () => {
    const model = "claude-early-exit";
    server.script(model, { kind: "stream", steps: [...opening, { hang: true }] });

    const stream = await adapter.open(callFor(model), new AbortController().signal);
    for await (const event of stream) {
      if (event.type === "text-delta") break;
    }

    await requestsFor(model)[0]?.clientClosed;
  });
});

async function drainIterator(iterator: AsyncIterator<ProviderEvent>): Promise<void> {
  for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
    // keep reading until the iterator ends or throws
  }
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
