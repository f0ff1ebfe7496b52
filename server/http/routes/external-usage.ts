import type { Request, Response } from "express";
import { z } from "zod";
import { type ExternalUsageDeps, recordExternalUsage } from "../../chat/external-usage.ts";
import { describeIssues, sourceSchema } from "../../chat/schema.ts";
import { picoUsdToUsd, usdToPicoUsd } from "../../pricing/money.ts";
import { parseJsonBody } from "../body.ts";
import { context } from "../context.ts";

/** More tokens than any one call reports: past this a count is a mistake, not usage. */
const MAX_TOKENS = 100_000_000;

const tokens = z
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(0, "must be at least 0")
  .max(MAX_TOKENS, `must be at most ${MAX_TOKENS}`);

export const externalUsageSchema = z.strictObject({
  source: sourceSchema,
  provider: z
    .string({ error: "must be a string" })
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be an AI Client provider id, e.g. openai"),
  model: z
    .string({ error: "must be a string" })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$/, "must be the provider's model id"),
  input_tokens: tokens,
  output_tokens: tokens,
  reasoning_tokens: tokens.optional(),
  usage_source: z.enum(["reported", "estimated"], {
    error: 'must be "reported" or "estimated"',
  }),
  finish_reason: z
    .enum(["stop", "length", "content_filter", "tool_calls", "error", "other"], {
      error: 'must be "stop", "length", "content_filter", "tool_calls", "error" or "other"',
    })
    .optional(),
  provider_cost_usd: z
    .number({ error: "must be a number" })
    .min(0, "must be at least 0")
    .max(1_000_000, "must be at most 1000000")
    .optional(),
  latency_ms: z
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(0, "must be at least 0")
    .max(86_400_000, "must be at most 86400000")
    .optional(),
});

/**
 * POST /v1/external-usage (signed): the site reports a call another AI Client
 * provider answered. The gateway prices the tokens from its own table, writes a
 * finished ledger row with the caller as `source`, and charges the site's caps.
 * 201 with the row's id and what it was billed.
 */
export function externalUsageRoute(deps: ExternalUsageDeps, now: () => number) {
  return (req: Request, res: Response): void => {
    const { requestId, siteId } = context(res);
    const body = parseJsonBody(req, externalUsageSchema, describeIssues);
    const recorded = recordExternalUsage(deps, {
      requestId,
      siteId,
      source: body.source,
      provider: body.provider,
      model: body.model,
      usage: {
        inputTokens: body.input_tokens,
        outputTokens: body.output_tokens,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: body.reasoning_tokens ?? 0,
      },
      usageSource: body.usage_source,
      finishReason: body.finish_reason ?? null,
      providerCostPicoUsd:
        body.provider_cost_usd === undefined ? undefined : usdToPicoUsd(body.provider_cost_usd),
      latencyMs: body.latency_ms ?? null,
      now: now(),
    });
    res.status(201).json({
      request_id: requestId,
      provider: body.provider,
      model: body.model,
      cost_usd: picoUsdToUsd(recorded.costPicoUsd),
      cost_picousd: recorded.costPicoUsd,
      priced: recorded.priced,
    });
  };
}
