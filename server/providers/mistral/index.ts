import { createCompatibleAdapter, defineProfile } from "../openai-compatible/index.ts";
import type { AdapterFactory } from "../types.ts";
import { mistralDeltaText } from "./content.ts";

/**
 * Mistral. Its API rejects fields it does not know with a 422
 * (extra_forbidden): both `stream_options` and `max_completion_tokens`, so
 * neither is sent. It sends usage anyway, on the chunk that carries
 * finish_reason. The request id is `mistral-correlation-id`.
 */
export const mistralProfile = defineProfile({
  id: "mistral",
  defaultBaseUrl: "https://api.mistral.ai/v1",
  includeUsageOption: false,
  requestIdHeaders: ["mistral-correlation-id", "x-kong-request-id", "x-request-id"],
  deltaText: mistralDeltaText,
});

export const createAdapter: AdapterFactory = (settings) =>
  createCompatibleAdapter(mistralProfile, settings);
