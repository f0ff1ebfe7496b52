import { toStandardFinishReason } from "../openai-compatible/finish.ts";
import type { FinishReason } from "../types.ts";

/**
 * The router passes each inference provider's finish reason through. Text
 * Generation Inference before 2.2.1 said `eos_token` (end of sequence) and
 * `stop_sequence` where OpenAI says `stop`.
 */
export function toHuggingfaceFinishReason(raw: string): FinishReason {
  if (raw === "eos_token" || raw === "stop_sequence") return "stop";
  return toStandardFinishReason(raw);
}
