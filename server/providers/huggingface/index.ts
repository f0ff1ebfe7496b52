import { createCompatibleAdapter, defineProfile } from "../openai-compatible/index.ts";
import type { AdapterFactory } from "../types.ts";
import { toHuggingfaceFinishReason } from "./finish.ts";

/**
 * Hugging Face Inference Providers through the router. The router forwards to
 * the provider serving the model (model ids like `meta-llama/Llama-3.1-8B-Instruct`,
 * optionally `:provider`), so chunk shapes vary by backend: usage may come in a
 * `choices: []` chunk or on the finish chunk, and older TGI backends end the
 * stream without `[DONE]` and say `eos_token`.
 */
export const huggingfaceProfile = defineProfile({
  id: "huggingface",
  defaultBaseUrl: "https://router.huggingface.co/v1",
  toFinishReason: toHuggingfaceFinishReason,
});

export const createAdapter: AdapterFactory = (settings) =>
  createCompatibleAdapter(huggingfaceProfile, settings);
