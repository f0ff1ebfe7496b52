import { createCompatibleAdapter, defineProfile } from "../openai-compatible/index.ts";
import type { AdapterFactory } from "../types.ts";
import { readDeepseekUsage } from "./usage.ts";

/**
 * DeepSeek. Usage rides on the chunk that carries finish_reason (there is no
 * separate usage chunk), include_usage or not. While a request waits for a
 * slot, DeepSeek sends `: keep-alive` SSE comments. deepseek-reasoner streams
 * `delta.reasoning_content`, which is not answer text. The request id is in
 * `x-ds-trace-id` (DeepSeek sends no x-request-id).
 */
export const deepseekProfile = defineProfile({
  id: "deepseek",
  defaultBaseUrl: "https://api.deepseek.com/v1",
  requestIdHeaders: ["x-ds-trace-id", "x-request-id"],
  readUsage: readDeepseekUsage,
});

export const createAdapter: AdapterFactory = (settings) =>
  createCompatibleAdapter(deepseekProfile, settings);
