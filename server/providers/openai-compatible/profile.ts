import type { FinishReason, ProviderId } from "../types.ts";
import { toStandardFinishReason } from "./finish.ts";
import { readStandardUsage, type UsageReader } from "./usage.ts";
import type { DeltaContent } from "./wire.ts";

/** What a provider's error body adds to the HTTP status and headers. */
export interface ErrorBodyHints {
  /** A retry delay the body asks for, when the headers carry none. */
  retryAfterMs?: number;
  /** The status to classify the error by, when the HTTP status misleads. */
  classifyAs?: number;
}

/**
 * How one provider's OpenAI-compatible API differs from OpenAI's. The shared
 * base reads everything else the same way for all of them.
 */
export interface CompatibleProfile {
  readonly id: ProviderId;
  readonly defaultBaseUrl: string;
  /** The request field that carries the output limit. */
  readonly maxTokensField: "max_tokens" | "max_completion_tokens";
  /** Whether to send `stream_options: { include_usage: true }` (some APIs reject the field). */
  readonly includeUsageOption: boolean;
  /** Response headers that may carry the provider's request id; the first present wins. */
  readonly requestIdHeaders: readonly string[];
  /** Turns a chunk's `usage` object into the canonical snapshot. */
  readonly readUsage: UsageReader;
  readonly toFinishReason: (raw: string) => FinishReason;
  /** The answer text in a chunk's `delta.content` (never reasoning). */
  readonly deltaText: (content: DeltaContent) => string;
  /** Reads what the error body says beyond the status (the body's `error` object). */
  readonly readErrorBody?: (error: unknown) => ErrorBodyHints;
}

export type ProfileOptions = Pick<CompatibleProfile, "id" | "defaultBaseUrl"> &
  Partial<Omit<CompatibleProfile, "id" | "defaultBaseUrl">>;

/** Plain string content; anything else carries no answer text. */
export function stringContent(content: DeltaContent): string {
  return typeof content === "string" ? content : "";
}

/** A profile with OpenAI's behaviour wherever the options say nothing. */
export function defineProfile(options: ProfileOptions): CompatibleProfile {
  return {
    maxTokensField: "max_tokens",
    includeUsageOption: true,
    requestIdHeaders: ["x-request-id"],
    readUsage: readStandardUsage,
    toFinishReason: toStandardFinishReason,
    deltaText: stringContent,
    ...options,
  };
}
