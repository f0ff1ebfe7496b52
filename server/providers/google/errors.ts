import { z } from "zod";
import type { ErrorBodyHints } from "../openai-compatible/profile.ts";

/**
 * Google's error body: `{code, message, status, details: [...]}` where
 * details are typed google.rpc messages (the compatible endpoint wraps the
 * whole body in an array; the shared client unwraps it).
 */
const googleErrorSchema = z.object({
  details: z
    .array(
      z.object({
        "@type": z.string().optional(),
        retryDelay: z.string().optional(),
        reason: z.string().optional(),
      }),
    )
    .optional(),
});

/**
 * Two things only the body says:
 * - a 429 names its retry delay in a google.rpc.RetryInfo (`"retryDelay": "22s"`),
 *   with no Retry-After header;
 * - a wrong API key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID, which
 *   is the gateway's key being refused (auth), not a bad request.
 */
export function readGoogleErrorBody(error: unknown): ErrorBodyHints {
  const parsed = googleErrorSchema.safeParse(error);
  const details = parsed.success ? (parsed.data.details ?? []) : [];
  const hints: ErrorBodyHints = {};
  for (const detail of details) {
    if (detail.retryDelay !== undefined) {
      const ms = durationMs(detail.retryDelay);
      if (ms !== undefined) hints.retryAfterMs = ms;
    }
    if (detail.reason === "API_KEY_INVALID") hints.classifyAs = 401;
  }
  return hints;
}

/** A google.protobuf.Duration in its JSON form: "22s", "0.5s". */
function durationMs(duration: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(duration);
  return match?.[1] === undefined ? undefined : Math.round(Number(match[1]) * 1000);
}
