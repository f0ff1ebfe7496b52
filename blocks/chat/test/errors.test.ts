import { describe, expect, test } from "vitest";
import {
  classifyHttpFailure,
  classifyStreamError,
  describeFailure,
  parseRetryAfter,
} from "../view/errors";

const wpError = (code: string, status: number, extra: Record<string, unknown> = {}) => ({
  code,
  message: "…",
  data: { status, ...extra },
});

describe("classifyHttpFailure", () => {
  test("429 from the plugin's rate limit, with Retry-After", () => {
    const failure = classifyHttpFailure(
      429,
      wpError("sluice_rate_limited", 429, { retry_after: 12 }),
      "30",
    );
    expect(failure).toMatchObject({ kind: "rate_limited", retryAfterSeconds: 30 });
    expect(describeFailure(failure).text).toContain("in 30 seconds");
  });

  test("429 without a header uses the body's retry_after", () => {
    expect(
      classifyHttpFailure(429, wpError("sluice_rate_limited", 429, { retry_after: 12 }), null),
    ).toMatchObject({
      retryAfterSeconds: 12,
    });
  });

  test("a provider's 429 relayed from the gateway is 'busy', not the visitor's fault", () => {
    expect(
      classifyHttpFailure(429, wpError("sluice_gateway_provider_rate_limited", 429), "5").kind,
    ).toBe("provider_busy");
  });

  test("budget reached, with or without the gateway prefix, whatever the status", () => {
    expect(
      classifyHttpFailure(402, wpError("sluice_gateway_budget_exhausted", 402), null).kind,
    ).toBe("budget");
    expect(classifyHttpFailure(429, wpError("budget_exhausted", 429), null).kind).toBe("budget");
    expect(
      classifyHttpFailure(429, { error: { code: "budget_exhausted", message: "x" } }, null).kind,
    ).toBe("budget");
  });

  test("502 / 503 / 504 and unknown bodies are 'unavailable'", () => {
    expect(classifyHttpFailure(502, wpError("sluice_unavailable", 502), null).kind).toBe(
      "unavailable",
    );
    expect(classifyHttpFailure(503, wpError("sluice_not_configured", 503), null).kind).toBe(
      "unavailable",
    );
    expect(classifyHttpFailure(504, "<html>Gateway Timeout</html>", null).kind).toBe("unavailable");
  });

  test("403 chat switched off is not retryable", () => {
    const failure = classifyHttpFailure(403, wpError("sluice_chat_off", 403), null);
    expect(failure.kind).toBe("switched_off");
    expect(describeFailure(failure).retryable).toBe(false);
  });

  test("other 403s (a model outside the allowlist, not a chat block) do not switch the chat off", () => {
    expect(
      classifyHttpFailure(403, wpError("sluice_gateway_model_not_allowed", 403), null).kind,
    ).toBe("misconfigured");
    expect(classifyHttpFailure(403, wpError("sluice_not_chat_block", 403), null).kind).toBe(
      "misconfigured",
    );
  });

  test("the gateway's budget refusal (429 budget_exhausted) is 'budget', not a rate limit", () => {
    const failure = classifyHttpFailure(
      429,
      wpError("sluice_gateway_budget_exhausted", 429),
      "3600",
    );
    expect(failure.kind).toBe("budget");
    expect(describeFailure(failure).text).toContain(
      "budget for now. Please try again in 60 minutes",
    );
  });

  test("404 and too long", () => {
    expect(classifyHttpFailure(404, wpError("sluice_block_not_found", 404), null).kind).toBe(
      "not_found",
    );
    expect(classifyHttpFailure(413, undefined, null).kind).toBe("too_long");
    expect(
      classifyHttpFailure(400, wpError("sluice_gateway_context_length_exceeded", 400), null).kind,
    ).toBe("too_long");
  });
});

describe("classifyStreamError", () => {
  test("a stream cut by the provider can be retried", () => {
    const failure = classifyStreamError("provider_stream_error");
    expect(failure.kind).toBe("interrupted");
    expect(describeFailure(failure).retryable).toBe(true);
  });
});

describe("parseRetryAfter", () => {
  test("seconds or an HTTP date", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:01:30 GMT", now)).toBe(90);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  test("long waits are said in minutes", () => {
    expect(describeFailure({ kind: "rate_limited", retryAfterSeconds: 600 }).text).toContain(
      "in 10 minutes",
    );
  });
});
