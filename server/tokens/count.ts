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
    total += MESSAGE_OVERHEAD_TOKENS + remembered.count(message.content);
  }
  return total;
}

/**
 * Counts of recent message texts. Each turn of a conversation sends the whole
 * history again, and every chat on a site shares its system prompt: without
 * this, a long conversation would be tokenized again on every turn.
 * Texts under `minChars` are cheap to count and not kept; the cache holds at
 * most `maxChars` characters of text, dropping the least recently used first.
 */
export class CountCache {
  readonly #count: (text: string) => number;
  readonly #minChars: number;
  readonly #maxChars: number;
  readonly #counts = new Map<string, number>();
  #chars = 0;

  constructor(count: (text: string) => number, limits: { minChars: number; maxChars: number }) {
    this.#count = count;
    this.#minChars = limits.minChars;
    this.#maxChars = limits.maxChars;
  }

  count(text: string): number {
    if (text.length < this.#minChars || text.length > this.#maxChars / 4) return this.#count(text);
    const known = this.#counts.get(text);
    if (known !== undefined) {
      // Re-inserted: a Map iterates in insertion order, so the oldest stays first.
      this.#counts.delete(text);
      this.#counts.set(text, known);
      return known;
    }
    const counted = this.#count(text);
    this.#counts.set(text, counted);
    this.#chars += text.length;
    for (const oldest of this.#counts.keys()) {
      if (this.#chars <= this.#maxChars) break;
      this.#counts.delete(oldest);
      this.#chars -= oldest.length;
    }
    return counted;
  }

  /** Characters of text held. */
  get chars(): number {
    return this.#chars;
  }
}

const remembered = new CountCache(countTextTokens, { minChars: 256, maxChars: 4_000_000 });
