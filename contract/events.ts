/**
 * The in-band events of wire format v1 (docs/wire-format.md) as the gateway
 * sends them, and the buffered answer. The plugin passes them to the browser
 * unchanged.
 */

export interface UsageStartEvent {
  type: "usage_start";
  request_id: string;
  provider: string;
  model: string;
  input_tokens: number;
  /** The answer length the model was asked for. */
  max_tokens: number;
  /** What the client asked for ("auto" or provider/model). */
  requested_model: string;
  /** true when a cheaper model was chosen to fit the budget; degraded_from names the one asked for. */
  degraded: boolean;
  degraded_from: string | null;
  /** The max_tokens asked for, when it was lowered to fit the budget. */
  max_tokens_lowered_from: number | null;
  /** The worst case reserved against the caps before the call. */
  reserved_usd: number;
}

export interface ContentEvent {
  type: "content";
  data: string;
  provider: string;
}

/** A failure after the stream started: a code of contract/error-codes.ts and its fixed message. */
export interface ErrorEvent {
  type: "error";
  code: string;
  message: string;
}

export interface UsageFinalEvent {
  type: "usage_final";
  request_id: string;
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_usd: number;
  /** The same cost as an exact integer in picoUSD (1 picoUSD = 10⁻¹² USD). */
  cost_picousd: number;
  /** false: the model has no known price and was billed at the protective tier. */
  priced: boolean;
  usage_source: "reported" | "estimated" | "none";
  finish_reason: string | null;
  /** Gateway time from receiving the request to settling it. */
  latency_ms: number;
  /** Gateway time from receiving the request to the first content. */
  ttfc_ms: number | null;
  provider_cost_usd?: number;
}

/** The events of one stream, in order: usage_start, content…, [error], usage_final. */
export type StreamEvent = UsageStartEvent | ContentEvent | ErrorEvent | UsageFinalEvent;

/** The `data` of the frame that closes a stream. */
export const DONE_DATA = "[DONE]";

/** The answer of `"stream": false`: the whole content and the usage_final fields. */
export interface BufferedAnswer {
  request_id: string;
  provider: string;
  model: string;
  content: string;
  finish_reason: string | null;
  usage: Omit<UsageFinalEvent, "type" | "request_id" | "provider" | "model">;
}
