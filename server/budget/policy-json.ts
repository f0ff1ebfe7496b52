import { z } from "zod";
import type { PolicyJson } from "../../contract/policy.ts";
import { capPicoUsdToUsd, usdToPicoUsd } from "../pricing/money.ts";
import { isTimeZone } from "./periods.ts";
import type { Policy } from "./policy.ts";

const MAX_CAP_USD = 1_000_000;

/** A cap in USD as clients write it; null removes the cap at this layer. */
const capUsd = z
  .number({ error: "must be a number of US dollars, or null for no cap" })
  .min(0, "must not be negative")
  .max(MAX_CAP_USD, `must be at most ${MAX_CAP_USD}`)
  .nullable()
  .optional();

/** The site layer as the WordPress admin screen sends it (PUT /v1/policy). */
export const policyInputSchema = z.strictObject({
  day_usd: capUsd,
  month_usd: capUsd,
  visitor_day_usd: capUsd,
  request_usd: capUsd,
  models: z
    .array(z.string().regex(/^[a-z]+\/\S+$/, 'must be "provider/model"'), {
      error: "must be a list of provider/model ids, or null for no allowlist",
    })
    .max(500)
    .nullable()
    .optional(),
  soft_threshold: z
    .number({ error: "must be a number" })
    .gt(0, "must be above 0")
    .max(1, "must be at most 1")
    .nullable()
    .optional(),
  timezone: z
    .string()
    .refine(isTimeZone, "must be an IANA time zone such as Europe/Paris")
    .nullable()
    .optional(),
});

export type PolicyInput = z.infer<typeof policyInputSchema>;

/** Applies input to a policy: absent fields keep their value, null clears them. */
export function applyPolicyInput(policy: Policy, input: PolicyInput): Policy {
  const cap = (value: number | null | undefined, current: number | null) =>
    value === undefined ? current : value === null ? null : usdToPicoUsd(value);
  return {
    dayCapPicoUsd: cap(input.day_usd, policy.dayCapPicoUsd),
    monthCapPicoUsd: cap(input.month_usd, policy.monthCapPicoUsd),
    visitorDayCapPicoUsd: cap(input.visitor_day_usd, policy.visitorDayCapPicoUsd),
    requestCapPicoUsd: cap(input.request_usd, policy.requestCapPicoUsd),
    models: input.models === undefined ? policy.models : input.models && [...new Set(input.models)],
    softThreshold: input.soft_threshold === undefined ? policy.softThreshold : input.soft_threshold,
    timezone: input.timezone === undefined ? policy.timezone : input.timezone,
  };
}

export function policyToJson(policy: Policy): PolicyJson {
  return {
    day_usd: capPicoUsdToUsd(policy.dayCapPicoUsd),
    month_usd: capPicoUsdToUsd(policy.monthCapPicoUsd),
    visitor_day_usd: capPicoUsdToUsd(policy.visitorDayCapPicoUsd),
    request_usd: capPicoUsdToUsd(policy.requestCapPicoUsd),
    models: policy.models,
    soft_threshold: policy.softThreshold,
    timezone: policy.timezone,
  };
}
