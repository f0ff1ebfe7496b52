import { createCompatibleAdapter, defineProfile } from "../openai-compatible/index.ts";
import type { AdapterFactory } from "../types.ts";

/**
 * OpenAI Chat Completions. `max_completion_tokens`, not `max_tokens`: the
 * reasoning models (o-series, gpt-5) reject `max_tokens` with a 400, and every
 * current chat model accepts the newer field. Usage comes in an extra chunk
 * with `choices: []` before `[DONE]`, only with `stream_options.include_usage`.
 */
export const openaiProfile = defineProfile({
  id: "openai",
  defaultBaseUrl: "https://api.openai.com/v1",
  maxTokensField: "max_completion_tokens",
});

export const createAdapter: AdapterFactory = (settings) =>
  createCompatibleAdapter(openaiProfile, settings);
