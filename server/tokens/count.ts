import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";
import type { ChatMessage } from "../providers/types.ts";

/**
 * Token estimates for when a provider does not report usage (an aborted or cut
 * stream) and for reservations before a call. o200k_base is OpenAI's current
 * encoding; for other providers' tokenizers it is a close, honest estimate,
 * and always better than assuming zero.
 */
export function countTextTokens(text: string): number {
  if (text.length <= SLICE_CHARS) return text.length === 0 ? 0 : countO200k(text);
  // BPE is quadratic in the length of one unbroken word, so a long text (or a
  // hostile one without spaces) is counted in bounded slices, cut at a space
  // where there is one. The sum differs from one whole count by a token or so
  // per slice: fine for an estimate, and it keeps the event loop free.
  let total = 0;
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + SLICE_CHARS);
    if (end < text.length) {
      // Look for a space only in the slice's second half, so the search stays bounded.
      const half = start + SLICE_CHARS / 2;
      const space = text.slice(half, end).lastIndexOf(" ");
      if (space >= 0) end = half + space;
    }
    total += countO200k(text.slice(start, end));
    start = end;
  }
  return total;
}

const SLICE_CHARS = 2048;

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
