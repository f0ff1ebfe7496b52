/** The in-band events of wire format v1 (DESIGN.md), as the gateway sends them. */

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
  /** The same cost as an exact integer in picoUSD (1e-12 USD). */
  cost_picousd: number;
  /** false: the model has no known price and was billed at the protective tier. */
  priced: boolean;
  usage_source: "reported" | "estimated" | "none";
  finish_reason: string | null;
  latency_ms: number;
  ttfc_ms: number | null;
  provider_cost_usd?: number;
}

/** Receives a chat as it happens: a streaming response or a buffered one. */
export interface ChatSink {
  start(event: UsageStartEvent): Promise<void> | void;
  content(text: string, provider: string): Promise<void> | void;
  fail(event: ErrorEvent): Promise<void> | void;
  finish(event: UsageFinalEvent): Promise<void> | void;
}
