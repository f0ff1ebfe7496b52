import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderConnectionError,
  ProviderRateLimitError,
  ProviderServerError,
  ProviderStreamError,
} from "../../../server/providers/errors.ts";
import { createAdapter as createOpenai } from "../../../server/providers/openai/index.ts";
import { adapterFor, chatCall, fixtures, openError, run, TEST_KEY } from "./harness.ts";
import { startWireServer, type WireServer } from "./server.ts";
import { WIRE_PROVIDERS, type WireProvider, wireProfiles } from "./wire-profiles.ts";

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
});

const requestIdOf = (provider: WireProvider) => wireProfiles[provider].requestId?.value;

describe.each(WIRE_PROVIDERS)("%s: refusals before the first byte", (provider) => {
  it("429 with retry-after → ProviderRateLimitError, retryable, with the delay", async () => {
    server.script({
      kind: "refuse",
      provider,
      status: 429,
      message: "Rate limit reached",
      headers: { "retry-after": "7" },
    });
    const error = await openError(adapterFor(server, provider));
    expect(error).toBeInstanceOf(ProviderRateLimitError);
    expect(error).toMatchObject({
      provider,
      upstreamStatus: 429,
      retryAfterMs: 7000,
      retryable: true,
      httpStatus: 429,
      upstreamRequestId: requestIdOf(provider),
    });
    // The provider's own message survives its error-body shape.
    expect((error as Error).message).toContain("Rate limit reached");
  });

  it("retry-after-ms wins over retry-after", async () => {
    server.script({
      kind: "refuse",
      provider,
      status: 429,
      headers: { "retry-after": "7", "retry-after-ms": "1500" },
    });
    const error = await openError(adapterFor(server, provider));
    expect(error).toMatchObject({ retryAfterMs: 1500 });
  });

  it("500 → ProviderServerError, retryable", async () => {
    server.script({ kind: "refuse", provider, status: 500, message: "boom" });
    const error = await openError(adapterFor(server, provider));
    expect(error).toBeInstanceOf(ProviderServerError);
    expect(error).toMatchObject({ upstreamStatus: 500, retryable: true, httpStatus: 503 });
  });

  it("503 with retry-after → ProviderServerError with the delay", async () => {
    server.script({
      kind: "refuse",
      provider,
      status: 503,
      message: "overloaded",
      headers: { "retry-after": "2" },
    });
    const error = await openError(adapterFor(server, provider));
    expect(error).toBeInstanceOf(ProviderServerError);
    expect(error).toMatchObject({ upstreamStatus: 503, retryAfterMs: 2000, retryable: true });
  });

  it("401 → ProviderAuthError, not retryable", async () => {
    server.script({ kind: "refuse", provider, status: 401, message: "Incorrect API key provided" });
    const error = await openError(adapterFor(server, provider));
    expect(error).toBeInstanceOf(ProviderAuthError);
    expect(error).toMatchObject({ upstreamStatus: 401, retryable: false });
  });

  it("400 → ProviderBadRequestError, not retryable", async () => {
    server.script({ kind: "refuse", provider, status: 400, message: "model not found" });
    const error = await openError(adapterFor(server, provider));
    expect(error).toBeInstanceOf(ProviderBadRequestError);
    expect(error).toMatchObject({ upstreamStatus: 400, retryable: false });
  });

  it("connection dropped before any response → ProviderConnectionError", async () => {
    server.script({ kind: "drop" });
    const error = await openError(adapterFor(server, provider));
    expect(error).toBeInstanceOf(ProviderConnectionError);
    expect(error).toMatchObject({ retryable: true, upstreamStatus: undefined });
  });
});

describe("google: what only the error body says", () => {
  it("429 without retry-after: the delay comes from google.rpc.RetryInfo", async () => {
    server.script({ kind: "refuse", provider: "google", status: 429, message: "Quota exceeded" });
    const error = await openError(adapterFor(server, "google"));
    expect(error).toBeInstanceOf(ProviderRateLimitError);
    expect(error).toMatchObject({ retryAfterMs: 22_000 });
    expect((error as Error).message).toContain("Quota exceeded");
  });

  it("a wrong API key is a 400 API_KEY_INVALID, classified as auth", async () => {
    const body = [
      {
        error: {
          code: 400,
          message: "API key not valid. Please pass a valid API key.",
          status: "INVALID_ARGUMENT",
          details: [
            {
              "@type": "type.googleapis.com/google.rpc.ErrorInfo",
              reason: "API_KEY_INVALID",
              domain: "googleapis.com",
            },
          ],
        },
      },
    ];
    const original = wireProfiles.google.errorBody;
    wireProfiles.google.errorBody = () => body;
    try {
      server.script({ kind: "refuse", provider: "google", status: 400 });
      const error = await openError(adapterFor(server, "google"));
      expect(error).toBeInstanceOf(ProviderAuthError);
      expect(error).toMatchObject({ upstreamStatus: 400, retryable: false });
      expect((error as Error).message).toContain("API key not valid");
    } finally {
      wireProfiles.google.errorBody = original;
    }
  });
});

describe("slow first byte", () => {
  it("open() resolves only once the headers are in", async () => {
    server.script({
      kind: "stream",
      provider: "openai",
      fixture: fixtures.openai.name,
      headersDelayMs: 250,
    });
    const started = performance.now();
    const events = await adapterFor(server, "openai").open(
      chatCall(),
      new AbortController().signal,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    let text = "";
    for await (const event of events) if (event.type === "text-delta") text += event.text;
    expect(text).toBe("Hello from Sluice.");
  });

  it("no headers within the timeout → ProviderConnectionError, retryable", async () => {
    server.script({
      kind: "stream",
      provider: "deepseek",
      fixture: fixtures.deepseek.name,
      headersDelayMs: 1_000,
    });
    const adapter = adapterFor(server, "deepseek", { headersTimeoutMs: 150 });
    const error = await openError(adapter);
    expect(error).toBeInstanceOf(ProviderConnectionError);
    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).message).toMatch(/timed out/i);
  });
});

it("nothing listening → ProviderConnectionError", async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const adapter = createOpenai({ apiKey: TEST_KEY, baseUrl: `http://127.0.0.1:${port}/v1` });
  const error = await openError(adapter);
  expect(error).toBeInstanceOf(ProviderConnectionError);
  expect(error).toMatchObject({ provider: "openai", retryable: true });
});

describe.each(WIRE_PROVIDERS)("%s: faults after the first byte", (provider) => {
  const { name, firstText, throughFirstText: afterEvents } = fixtures[provider];

  it("stream cut mid-way → ProviderStreamError, the text so far kept", async () => {
    server.script({ kind: "stream", provider, fixture: name, fault: { type: "cut", afterEvents } });
    const result = await run(adapterFor(server, provider));
    expect(result.text).toBe(firstText);
    expect(result.error).toBeInstanceOf(ProviderStreamError);
    expect(result.error).toMatchObject({
      provider,
      retryable: false,
      upstreamRequestId: requestIdOf(provider),
    });
    expect((result.error as Error).message).toContain("stream ended before the provider finished");
    expect(result.finish).toBeUndefined();
  });

  it("stream ended cleanly but early (no finish, no [DONE]) → ProviderStreamError", async () => {
    server.script({
      kind: "stream",
      provider,
      fixture: name,
      fault: { type: "end-early", afterEvents },
    });
    const result = await run(adapterFor(server, provider));
    expect(result.text).toBe(firstText);
    expect(result.error).toBeInstanceOf(ProviderStreamError);
    expect((result.error as Error).message).toContain("stream ended before the provider finished");
  });

  it("malformed chunk → ProviderStreamError, the text so far kept", async () => {
    server.script({
      kind: "stream",
      provider,
      fixture: name,
      fault: { type: "malformed", afterEvents },
    });
    const result = await run(adapterFor(server, provider));
    expect(result.text).toBe(firstText);
    expect(result.error).toBeInstanceOf(ProviderStreamError);
    expect((result.error as Error).message).toContain("malformed chunk");
  });

  it("in-band error object → ProviderStreamError, the text so far kept", async () => {
    server.script({
      kind: "stream",
      provider,
      fixture: name,
      fault: { type: "in-band-error", afterEvents },
    });
    const result = await run(adapterFor(server, provider));
    expect(result.text).toBe(firstText);
    expect(result.error).toBeInstanceOf(ProviderStreamError);
    expect((result.error as Error).message).toContain("error in stream");
  });
});

describe("cuts and bad data around the finish", () => {
  it("a cut after the finish chunk, before the usage chunk: complete, without usage", async () => {
    // openai-gpt-4o-mini: line 6 is the finish chunk, line 7 the usage chunk.
    server.script({
      kind: "stream",
      provider: "openai",
      fixture: fixtures.openai.name,
      fault: { type: "cut", afterEvents: 6 },
    });
    const result = await run(adapterFor(server, "openai"));
    expect(result.error).toBeUndefined();
    expect(result.text).toBe("Hello from Sluice.");
    expect(result.usage).toBeUndefined();
    expect(result.finish).toEqual({ type: "finish", reason: "stop", rawReason: "stop" });
  });

  it("a malformed chunk after the finish chunk is still an error", async () => {
    server.script({
      kind: "stream",
      provider: "openai",
      fixture: fixtures.openai.name,
      fault: { type: "malformed", afterEvents: 6 },
    });
    const result = await run(adapterFor(server, "openai"));
    expect(result.error).toBeInstanceOf(ProviderStreamError);
    expect(result.finish).toBeUndefined();
  });

  it("a usage object of the wrong shape → ProviderStreamError", async () => {
    server.script({ kind: "stream", provider: "openai", fixture: "openai-bad-usage" });
    const result = await run(adapterFor(server, "openai"));
    expect(result.text).toBe("Hi");
    expect(result.error).toBeInstanceOf(ProviderStreamError);
    expect((result.error as Error).message).toContain("malformed usage");
  });
});
