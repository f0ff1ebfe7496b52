import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapter } from "../../../server/providers/bedrock/index.ts";
import {
  ProviderAuthError,
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
  type BedrockTestServer,
  type FrameStep,
  messageStart,
  messageStop,
  metadata,
  startBedrockServer,
  textDeltas,
} from "./server.ts";

const ACCESS_KEY_ID = "AKIASLUICETEST000001";
const AWS_VARIABLES = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_PROFILE",
  "AWS_BEARER_TOKEN_BEDROCK",
  "AWS_AUTH_SCHEME_PREFERENCE",
];
const savedEnvironment = new Map(AWS_VARIABLES.map((name) => [name, process.env[name]]));

let server: BedrockTestServer;
let adapter: ProviderAdapter;

beforeAll(async () => {
  // The standard AWS credential chain, fed static fake credentials.
  for (const name of AWS_VARIABLES) delete process.env[name];
  process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = "sluice-test-secret-access-key";
  server = await startBedrockServer();
  adapter = createAdapter({ baseUrl: server.endpoint, region: "eu-west-3" });
});

afterAll(async () => {
  await server.close();
  for (const [name, value] of savedEnvironment) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
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

function requestsFor(modelId: string) {
  return server.requests.filter((request) => request.modelId === modelId);
}

function completeStream(pieces: string[], stopReason = "end_turn"): FrameStep[] {
  return [
    messageStart,
    ...textDeltas(0, pieces),
    messageStop(stopReason),
    metadata({ inputTokens: 11, outputTokens: 4, totalTokens: 15 }),
  ];
}

describe("bedrock adapter: a normal stream", () => {
  it("streams text in order, reports usage, maps the finish and signs a well-formed request", async () => {
    const model = "us.amazon.nova-micro-v1:0";
    server.script(model, { kind: "stream", steps: completeStream(["Po", "ng", ", ", "naïve ✓"]) });

    const { events, error } = await drain(
      await adapter.open(
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
      ),
    );

    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: "text-delta", text: "Po" },
      { type: "text-delta", text: "ng" },
      { type: "text-delta", text: ", " },
      { type: "text-delta", text: "naïve ✓" },
      {
        type: "usage",
        usage: {
          inputTokens: 11,
          outputTokens: 4,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          reasoningTokens: 0,
        },
      },
      { type: "finish", reason: "stop", rawReason: "end_turn" },
    ]);

    const [request] = requestsFor(model);
    expect(request?.method).toBe("POST");
    // The colon in the model id travels percent-encoded and decodes back.
    expect(request?.path).toBe("/model/us.amazon.nova-micro-v1%3A0/converse-stream");
    expect(request?.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/\\d{8}/eu-west-3/bedrock/aws4_request, `,
      ),
    );
    expect(request?.headers["amz-sdk-request"]).toBe("attempt=1; max=1");
    expect(request?.body).toEqual({
      system: [{ text: "Be brief.\n\nAnswer in English." }],
      messages: [
        { role: "user", content: [{ text: "Hello\n\nSay pong" }] },
        { role: "assistant", content: [{ text: "Sure." }] },
        { role: "user", content: [{ text: "Now." }] },
      ],
      inferenceConfig: { maxTokens: 128, temperature: 0.3 },
    });
  });

  it("adds cache reads and writes to the input tokens (Bedrock reports them apart)", async () => {
    const model = "anthropic.claude-cache-v1:0";
    server.script(model, {
      kind: "stream",
      steps: [
        messageStart,
        ...textDeltas(0, ["cached"]),
        messageStop("end_turn"),
        metadata({
          inputTokens: 12,
          outputTokens: 40,
          cacheReadInputTokens: 2000,
          cacheWriteInputTokens: 300,
          totalTokens: 2352,
        }),
      ],
    });

    const { events } = await drain(
      await adapter.open(callFor(model), new AbortController().signal),
    );

    expect(events.find((event) => event.type === "usage")).toEqual({
      type: "usage",
      usage: {
        inputTokens: 2312,
        outputTokens: 40,
        cacheReadTokens: 2000,
        cacheWriteTokens: 300,
        reasoningTokens: 0,
      },
    });
  });

  it("does not count cache tokens twice when totalTokens shows them inside inputTokens", async () => {
    const model = "amazon.nova-cache-inclusive-v1:0";
    server.script(model, {
      kind: "stream",
      steps: [
        messageStart,
        ...textDeltas(0, ["x"]),
        messageStop("end_turn"),
        metadata({
          inputTokens: 2312,
          outputTokens: 40,
          cacheReadInputTokens: 2000,
          totalTokens: 2352,
        }),
      ],
    });

    const { events } = await drain(
      await adapter.open(callFor(model), new AbortController().signal),
    );

    expect(events.find((event) => event.type === "usage")).toMatchObject({
      usage: { inputTokens: 2312, cacheReadTokens: 2000, cacheWriteTokens: 0 },
    });
  });

  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["content_filtered", "content_filter"],
    ["guardrail_intervened", "content_filter"],
    ["tool_use", "tool_calls"],
    ["malformed_model_output", "other"],
  ])("maps stopReason %s to %s", async (stopReason, reason) => {
    const model = `amazon.finish-${stopReason}-v1:0`;
    server.script(model, { kind: "stream", steps: completeStream(["x"], stopReason) });
    const { events } = await drain(
      await adapter.open(callFor(model), new AbortController().signal),
    );
    expect(events.at(-1)).toEqual({ type: "finish", reason, rawReason: stopReason });
  });

  it("sends a Bedrock API key as a bearer token instead of signing", async () => {
    const model = "us.amazon.nova-bearer-v1:0";
    server.script(model, { kind: "stream", steps: completeStream(["ok"]) });
    const keyed = createAdapter({ baseUrl: server.endpoint, apiKey: "bedrock-api-key-test" });

    const { error } = await drain(await keyed.open(callFor(model), new AbortController().signal));

    expect(error).toBeUndefined();
    expect(requestsFor(model)[0]?.headers.authorization).toBe("Bearer bedrock-api-key-test");
  });
});

describe("bedrock adapter: region", () => {
  it.each([
    ["SLUICE_BEDROCK_REGION when settings name none", "ap-southeast-2", "ap-southeast-2"],
    ["us-east-1 by default", undefined, "us-east-1"],
  ])("signs for %s", async (_label, regionVariable, expectedRegion) => {
    const saved = process.env.SLUICE_BEDROCK_REGION;
    if (regionVariable) process.env.SLUICE_BEDROCK_REGION = regionVariable;
    else delete process.env.SLUICE_BEDROCK_REGION;
    const model = `amazon.region-${expectedRegion}-v1:0`;
    server.script(model, { kind: "stream", steps: completeStream(["ok"]) });
    try {
      const regional = createAdapter({ baseUrl: server.endpoint });
      await drain(await regional.open(callFor(model), new AbortController().signal));
    } finally {
      if (saved === undefined) delete process.env.SLUICE_BEDROCK_REGION;
      else process.env.SLUICE_BEDROCK_REGION = saved;
    }

    expect(requestsFor(model)[0]?.headers.authorization).toContain(
      `/${expectedRegion}/bedrock/aws4_request`,
    );
  });
});

describe("bedrock adapter: refusals before the stream", () => {
  it("rejects a 429 ThrottlingException with a rate-limit error, without retrying", async () => {
    const model = "amazon.throttled-v1:0";
    server.script(model, {
      kind: "error",
      status: 429,
      errorType: "ThrottlingException",
      message: "Too many requests, please wait before trying again.",
      headers: { "retry-after": "3" },
    });

    const error = await adapter.open(callFor(model), new AbortController().signal).catch((e) => e);

    expect(error).toBeInstanceOf(ProviderRateLimitError);
    expect(error).toMatchObject({
      provider: "bedrock",
      retryable: true,
      upstreamStatus: 429,
      retryAfterMs: 3000,
      upstreamRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(error.message).toContain("ThrottlingException");
    expect(requestsFor(model)).toHaveLength(1);
  });

  it.each([
    [500, "InternalServerException", ProviderServerError],
    [503, "ServiceUnavailableException", ProviderServerError],
    [403, "AccessDeniedException", ProviderAuthError],
  ])("rejects a %i %s with the matching error class", async (status, errorType, errorClass) => {
    const model = `amazon.status-${status}-v1:0`;
    server.script(model, { kind: "error", status, errorType, message: `upstream said ${status}` });

    const error = await adapter.open(callFor(model), new AbortController().signal).catch((e) => e);

    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ upstreamStatus: status, provider: "bedrock" });
    expect(requestsFor(model)).toHaveLength(1);
  });

  it("rejects an exception frame that arrives before any event with its retryable class", async () => {
    const model = "amazon.throttled-in-stream-v1:0";
    server.script(model, {
      kind: "stream",
      steps: [{ exception: "throttlingException", message: "Too many tokens, slow down." }],
    });

    const error = await adapter.open(callFor(model), new AbortController().signal).catch((e) => e);

    expect(error).toBeInstanceOf(ProviderRateLimitError);
    expect(error.message).toContain("slow down");
  });

  it("waits for a slow first byte and resolves only once the headers arrived", async () => {
    const model = "amazon.slow-v1:0";
    server.script(model, { kind: "stream", headersDelayMs: 300, steps: completeStream(["late"]) });

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
    const model = "amazon.slow-abort-v1:0";
    server.script(model, { kind: "stream", headersDelayMs: 5000, steps: [] });
    const controller = new AbortController();

    const opening = adapter.open(callFor(model), controller.signal);
    await waitFor(() => requestsFor(model).length === 1);
    controller.abort();

    await expect(opening).rejects.toMatchObject({ name: "AbortError" });
    await requestsFor(model)[0]?.clientClosed;
  });

  it("reports an unreachable endpoint as a connection error", async () => {
    const closed = await startBedrockServer();
    await closed.close();
    const unreachable = createAdapter({ baseUrl: closed.endpoint });

    const error = await unreachable
      .open(callFor("amazon.nowhere-v1:0"), new AbortController().signal)
      .catch((e) => e);

    expect(error).toBeInstanceOf(ProviderConnectionError);
    expect(error.retryable).toBe(true);
  });
});

describe("bedrock adapter: failures after the stream began", () => {
  const opening: FrameStep[] = [messageStart, ...textDeltas(0, ["Hel", "lo"]).slice(0, 2)];

  it("throws a stream error from the iterator when the socket is cut", async () => {
    const model = "amazon.cut-v1:0";
    server.script(model, { kind: "stream", steps: [...opening, { cut: true }] });

    const { events, error } = await drain(
      await adapter.open(callFor(model), new AbortController().signal),
    );

    expect(textOf(events)).toBe("Hello");
    expect(error).toBeInstanceOf(ProviderStreamError);
    expect((error as ProviderStreamError).upstreamRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("throws a stream error when the stream ends after messageStop but before metadata", async () => {
    const model = "amazon.no-metadata-v1:0";
    server.script(model, { kind: "stream", steps: [...opening, messageStop("end_turn")] });

    const { events, error } = await drain(
      await adapter.open(callFor(model), new AbortController().signal),
    );

    expect(textOf(events)).toBe("Hello");
    expect(events.some((event) => event.type === "finish")).toBe(false);
    expect(error).toBeInstanceOf(ProviderStreamError);
    expect((error as Error).message).toContain("metadata");
  });

  it("throws a stream error on a frame whose checksum does not match", async () => {
    const model = "amazon.corrupt-v1:0";
    server.script(model, {
      kind: "stream",
      steps: [
        ...opening,
        {
          corrupt: {
            event: "contentBlockDelta",
            payload: { contentBlockIndex: 0, delta: { text: "!" } },
          },
        },
        messageStop("end_turn"),
        metadata({ inputTokens: 1, outputTokens: 1, totalTokens: 2 }),
      ],
    });

    const { events, error } = await drain(
      await adapter.open(callFor(model), new AbortController().signal),
    );

    expect(textOf(events)).toBe("Hello");
    expect(error).toBeInstanceOf(ProviderStreamError);
    expect((error as Error).message).toContain("checksum");
  });

  it.each([
    ["modelStreamErrorException", "retryable upstream"],
    ["throttlingException", "retryable upstream"],
    ["internalServerException", "retryable upstream"],
    ["serviceUnavailableException", "retryable upstream"],
    ["validationException", "not retryable"],
  ])("throws a stream error on an in-stream %s", async (exception, retryNote) => {
    const model = `amazon.${exception}-v1:0`;
    server.script(model, {
      kind: "stream",
      steps: [...opening, { exception, message: "Something went wrong mid-stream." }],
    });

    const { events, error } = await drain(
      await adapter.open(callFor(model), new AbortController().signal),
    );

    expect(textOf(events)).toBe("Hello");
    expect(error).toBeInstanceOf(ProviderStreamError);
    expect(error).toMatchObject({ retryable: false, upstreamRequestId: expect.any(String) });
    expect((error as Error).message).toContain(retryNote);
  });

  it("stops the upstream on abort and ends the iterator with an AbortError", async () => {
    const model = "amazon.abort-v1:0";
    server.script(model, { kind: "stream", steps: [...opening, { hang: true }] });
    const controller = new AbortController();

    const stream = await adapter.open(callFor(model), controller.signal);
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toEqual({ type: "text-delta", text: "Hel" });

    controller.abort();

    // The abort alone closes the upstream connection, before anyone reads on.
    await requestsFor(model)[0]?.clientClosed;
    await expect(drainIterator(iterator)).rejects.toMatchObject({ name: "AbortError" });
  });

  it("closes the upstream when the caller stops iterating early", async () => {
    const model = "amazon.early-exit-v1:0";
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
