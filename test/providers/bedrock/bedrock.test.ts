import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapter } from "../../../server/providers/bedrock/index.ts";
import {
  ProviderAuthError,
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
  openError,
} from "../support/adapter-checks.ts";
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
  adapter = createAdapter({ baseUrl: server.url, region: "eu-west-3" });
});

afterAll(async () => {
  await server.close();
  for (const [name, value] of savedEnvironment) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

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
      await adapter.open(foldingCall(model), new AbortController().signal),
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

    const [request] = server.requestsFor(model);
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

    const { events } = await openAndDrain(adapter, model);

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

    const { events } = await openAndDrain(adapter, model);

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
    const { events } = await openAndDrain(adapter, model);
    expect(events.at(-1)).toEqual({ type: "finish", reason, rawReason: stopReason });
  });

  it("sends a Bedrock API key as a bearer token instead of signing", async () => {
    const model = "us.amazon.nova-bearer-v1:0";
    server.script(model, { kind: "stream", steps: completeStream(["ok"]) });
    const keyed = createAdapter({ baseUrl: server.url, apiKey: "bedrock-api-key-test" });

    const { error } = await drain(await keyed.open(callFor(model), new AbortController().signal));

    expect(error).toBeUndefined();
    expect(server.requestsFor(model)[0]?.headers.authorization).toBe("Bearer bedrock-api-key-test");
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
      const regional = createAdapter({ baseUrl: server.url });
      await drain(await regional.open(callFor(model), new AbortController().signal));
    } finally {
      if (saved === undefined) delete process.env.SLUICE_BEDROCK_REGION;
      else process.env.SLUICE_BEDROCK_REGION = saved;
    }

    expect(server.requestsFor(model)[0]?.headers.authorization).toContain(
      `/${expectedRegion}/bedrock/aws4_request`,
    );
  });
});

describe("bedrock adapter: refusals before the stream", () => {
  it("rejects a 429 ThrottlingException with a rate-limit error, without retrying", async () => {
    const error = await expectRefused(
      { adapter, server },
      "amazon.throttled-v1:0",
      {
        status: 429,
        errorType: "ThrottlingException",
        message: "Too many requests, please wait before trying again.",
        headers: { "retry-after": "3" },
      },
      ProviderRateLimitError,
      {
        provider: "bedrock",
        retryable: true,
        upstreamStatus: 429,
        retryAfterMs: 3000,
        upstreamRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    );
    expect(error.message).toContain("ThrottlingException");
  });

  it.each([
    [500, "InternalServerException", ProviderServerError],
    [503, "ServiceUnavailableException", ProviderServerError],
    [403, "AccessDeniedException", ProviderAuthError],
  ])("rejects a %i %s with the matching error class", async (status, errorType, errorClass) => {
    await expectRefused(
      { adapter, server },
      `amazon.status-${status}-v1:0`,
      { status, errorType, message: `upstream said ${status}` },
      errorClass,
      { upstreamStatus: status, provider: "bedrock" },
    );
  });

  it("rejects an exception frame that arrives before any event with its retryable class", async () => {
    const model = "amazon.throttled-in-stream-v1:0";
    server.script(model, {
      kind: "stream",
      steps: [{ exception: "throttlingException", message: "Too many tokens, slow down." }],
    });

    const error = await openError(adapter, model);

    expect(error).toBeInstanceOf(ProviderRateLimitError);
    expect(error.message).toContain("slow down");
  });

  it("waits for a slow first byte and resolves only once the headers arrived", async () => {
    await expectOpenAfterHeaders(
      { adapter, server },
      "amazon.slow-v1:0",
      completeStream(["late"]),
      "late",
    );
  });

  it("turns an abort while waiting for the first byte into an AbortError", async () => {
    await expectAbortBeforeHeaders({ adapter, server }, "amazon.slow-abort-v1:0");
  });

  it("reports an unreachable endpoint as a connection error", async () => {
    const closed = await startBedrockServer();
    await closed.close();
    const unreachable = createAdapter({ baseUrl: closed.url });

    await expectConnectionError(unreachable, "amazon.nowhere-v1:0");
  });
});

describe("bedrock adapter: failures after the stream began", () => {
  const opening: FrameStep[] = [messageStart, ...textDeltas(0, ["Hel", "lo"]).slice(0, 2)];

  it("throws a stream error from the iterator when the socket is cut", async () => {
    const { error } = await expectStreamError(
      { adapter, server },
      "amazon.cut-v1:0",
      [...opening, { cut: true }],
      "Hello",
    );

    expect(error.upstreamRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("throws a stream error when the stream ends after messageStop but before metadata", async () => {
    const { events, error } = await expectStreamError(
      { adapter, server },
      "amazon.no-metadata-v1:0",
      [...opening, messageStop("end_turn")],
      "Hello",
    );

    expect(events.some((event) => event.type === "finish")).toBe(false);
    expect(error.message).toContain("metadata");
  });

  it("throws a stream error on a frame whose checksum does not match", async () => {
    const { error } = await expectStreamError(
      { adapter, server },
      "amazon.corrupt-v1:0",
      [
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
      "Hello",
    );

    expect(error.message).toContain("checksum");
  });

  it.each([
    ["modelStreamErrorException", "retryable upstream"],
    ["throttlingException", "retryable upstream"],
    ["internalServerException", "retryable upstream"],
    ["serviceUnavailableException", "retryable upstream"],
    ["validationException", "not retryable"],
  ])("throws a stream error on an in-stream %s", async (exception, retryNote) => {
    const { error } = await expectStreamError(
      { adapter, server },
      `amazon.${exception}-v1:0`,
      [...opening, { exception, message: "Something went wrong mid-stream." }],
      "Hello",
    );

    expect(error).toMatchObject({ retryable: false, upstreamRequestId: expect.any(String) });
    expect(error.message).toContain(retryNote);
  });

  it("stops the upstream on abort and ends the iterator with an AbortError", async () => {
    await expectAbortMidStream({ adapter, server }, "amazon.abort-v1:0", opening, {
      before: [],
      text: "Hel",
    });
  });

  it("closes the upstream when the caller stops iterating early", async () => {
    await expectEarlyExitCloses({ adapter, server }, "amazon.early-exit-v1:0", opening);
  });
});
