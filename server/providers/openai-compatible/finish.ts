import type { FinishReason } from "../types.ts";

/** OpenAI's finish reasons; anything else a provider invents is "other". */
export function toStandardFinishReason(raw: string): FinishReason {
  switch (raw) {
    case "stop":
    case "length":
    case "content_filter":
    case "tool_calls":
      return raw;
    default:
      return "other";
  }
}
