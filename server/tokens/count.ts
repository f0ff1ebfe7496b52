import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";
import type { ChatMessage } from "../providers/types.ts";

/**
 * Token estimates for when a provider does not report usage (an aborted or cut
 * stream) and for reservations before a call. o200k_base is OpenAI's current
 * encoding; for other providers' tokenizers it is a close, honest estimate,
 * and always better than assuming zero.
 */
export function countTextTokens(text: string): number {
  if (text.length === 0) return 0;
  return countO200k(text);
}

/** Per-message framing that chat templates add (role markers, separators). */
const MESSAGE_OVERHEAD_TOKENS = 4;
const REPLY_PRIMING_TOKENS = 3;

export function countMessageTokens(messages: readonly ChatMessage[]): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of messages) {
    total += MESSAGE_OVERHEAD_TOKENS + countTextTokens(message.content);
  }
  return total;
}
