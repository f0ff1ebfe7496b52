/**
 * The contract between the gateway and its provider adapters.
 * Adapters turn one provider's wire format into these canonical events;
 * nothing outside server/providers/ knows a provider's wire format.
 */

export const PROVIDER_IDS = [
  "openai",
  "anthropic",
  "google",
  "bedrock",
  "deepseek",
  "xai",
  "mistral",
  "qwen",
  "huggingface",
  "demo",
] as const;

export type ProviderId = (typeof PROVIDER_IDS)[number];

export function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}

export type ChatRole = "system" | "user" | "assistant";

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** One upstream call, already resolved to a concrete provider and model. */
export interface ProviderCall {
  /** The provider's own model id, without the `provider/` prefix. */
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature?: number;
}

/**
 * Token counts with the same meaning for every provider:
 * - inputTokens counts all input the model processed, cached or not;
 *   cacheReadTokens and cacheWriteTokens say how many of those were cache reads/writes.
 * - outputTokens counts everything billed as output, reasoning included;
 *   reasoningTokens says how many of those were reasoning.
 */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export const ZERO_USAGE: Readonly<TokenUsage> = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
});

export type FinishReason =
  | "stop"
  | "length"
  | "content_filter"
  | "tool_calls"
  | "error"
  | "aborted"
  | "other";

export type ProviderEvent =
  /** A piece of answer text, in order. */
  | { type: "text-delta"; text: string }
  /**
   * The full usage known so far (a snapshot, not an increment): adapters fold
   * cumulative or split provider reports into one record before emitting it.
   * `providerCostUsd` is the provider's own bill when it sends one (xAI).
   */
  | { type: "usage"; usage: TokenUsage; providerCostUsd?: number }
  /** The provider said the answer is complete. */
  | { type: "finish"; reason: FinishReason; rawReason: string | null };

export interface ProviderSettings {
  apiKey?: string;
  baseUrl?: string;
  /** Bedrock only. */
  region?: string;
  /**
   * The HTTP transport for SDKs that take a `fetch` (the OpenAI-compatible
   * ones); without it an adapter makes its own. The registry builds an adapter
   * per call for a key from the vault, and passes one shared transport so those
   * calls reuse pooled connections.
   */
  fetch?: typeof fetch;
}

export interface ProviderAdapter {
  readonly id: ProviderId;
  /**
   * Opens the upstream call. Resolves once the provider has accepted it
   * (response headers received), so refusals surface before any byte goes to
   * the client. Rejects with a ProviderError. Iterating the result yields
   * canonical events; a failure mid-stream throws a ProviderError from the
   * iterator. Aborting `signal` cancels the upstream HTTP request.
   */
  open(call: ProviderCall, signal: AbortSignal): Promise<AsyncIterable<ProviderEvent>>;
}

export type AdapterFactory = (settings: ProviderSettings) => ProviderAdapter;
