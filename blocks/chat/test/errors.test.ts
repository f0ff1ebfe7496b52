import { describe, expect, test } from "vitest";
import {
  classifyHttpFailure,
  classifyStreamError,
  describeFailure,
  formatResetTime,
  parseRetryAfter,
  readErrorBody,
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

  test("only the table's budget code is a budget refusal, not a code that looks like one", () => {
    for (const code of ["sluice_gateway_spend_cap_reached", "cap_exceeded", "budget_warning"]) {
      expect(classifyHttpFailure(429, wpError(code, 429), null).kind, code).toBe("rate_limited");
    }
    expect(
      classifyHttpFailure(403, wpError("sluice_gateway_model_not_allowed", 403), null).kind,
    ).toBe("misconfigured");
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

  test("a budget code in a frame is a budget refusal; any other code an interruption", () => {
    expect(classifyStreamError("budget_exhausted").kind).toBe("budget");
    expect(classifyStreamError("sluice_gateway_budget_exhausted").kind).toBe("budget");
    expect(classifyStreamError("budget_warning").kind).toBe("interrupted");
    expect(classifyStreamError("gateway_stream_cut").kind).toBe("interrupted");
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

describe("a spend cap reached (budget_exhausted with its scope and reset time)", () => {
  const now = Date.parse("2026-07-03T18:00:00Z");
  const options = { locale: "en-US", timeZone: "Europe/Paris", now };
  const budget = (scope: string, resetsAt: string | null) =>
    wpError("sluice_gateway_budget_exhausted", 429, {
      request_id: "req_1",
      scope,
      resets_at: resetsAt,
    });

  test("the plugin's relay of the gateway's 429 keeps the cap and when it resets", () => {
    const failure = classifyHttpFailure(429, budget("day", "2026-07-03T22:00:00.000Z"), "14400");
    expect(failure).toMatchObject({
      kind: "budget",
      budgetScope: "day",
      resetsAt: "2026-07-03T22:00:00.000Z",
      retryAfterSeconds: 14400,
    });
  });

  test("the daily cap: used up for today, and the time it resets", () => {
    const failure = classifyHttpFailure(429, budget("day", "2026-07-03T22:00:00.000Z"), "14400");
    expect(describeFailure(failure, options)).toEqual({
      text: "This site's chat budget is used up for today; it resets at 12:00 AM.",
      retryable: false,
    });
  });

  test("the monthly cap: used up for this month, and the day it resets", () => {
    const failure = classifyHttpFailure(429, budget("month", "2026-07-31T22:00:00.000Z"), null);
    expect(describeFailure(failure, options).text).toBe(
      "This site's chat budget is used up for this month; it resets on Aug 1, 2026, 12:00 AM.",
    );
  });

  test("the per-visitor cap speaks to the visitor", () => {
    const failure = classifyHttpFailure(
      429,
      budget("visitor_day", "2026-07-03T22:00:00.000Z"),
      null,
    );
    expect(describeFailure(failure, options).text).toBe(
      "You've used up your chat allowance for today; it resets at 12:00 AM.",
    );
  });

  test("the per-request ceiling asks for something shorter (it has no reset)", () => {
    const failure = classifyHttpFailure(429, budget("request", null), null);
    expect(failure).toMatchObject({ kind: "budget", budgetScope: "request" });
    expect(failure.resetsAt).toBeUndefined();
    expect(describeFailure(failure, options)).toEqual({
      text: "That question could cost more than this chat allows for one answer. Please ask something shorter.",
      retryable: false,
    });
  });

  test("the gateway's own envelope, without the plugin's prefix, reads the same", () => {
    const body = {
      error: {
        code: "budget_exhausted",
        message: "The daily spend cap of $5.00 is reached …",
        request_id: "req_2",
        scope: "day",
        resets_at: "2026-07-03T22:00:00.000Z",
      },
    };
    expect(readErrorBody(body)).toEqual({
      code: "budget_exhausted",
      budgetScope: "day",
      resetsAt: "2026-07-03T22:00:00.000Z",
    });
    expect(describeFailure(classifyHttpFailure(429, body, "60"), options).text).toMatch(
      /^This site's chat budget is used up for today; it resets at 12:00 AM\.$/,
    );
  });

  test("an unknown scope or an unreadable reset time falls back to the general message", () => {
    for (const body of [budget("week", "2026-07-03T22:00:00.000Z"), budget("day", "soon")]) {
      const failure = classifyHttpFailure(429, body, "3600");
      expect(describeFailure(failure, options)).toEqual({
        text: "This chat has used up its budget for now. Please try again in 60 minutes.",
        retryable: true,
      });
    }
  });

  test("a reset more than a day away is written with its date", () => {
    expect(formatResetTime("2026-07-05T10:00:00.000Z", options)).toBe("Jul 5, 2026, 12:00 PM");
    expect(formatResetTime("2026-07-03T19:30:00.000Z", options)).toBe("9:30 PM");
  });
});
