import { createCompatibleAdapter, defineProfile } from "../openai-compatible/index.ts";
import type { AdapterFactory } from "../types.ts";

/**
 * Alibaba DashScope, OpenAI-compatible mode (international endpoint). Without
 * `stream_options.include_usage` the stream carries no usage at all; with it,
 * every chunk has `"usage": null` and a last chunk with `choices: []` carries
 * the totals. Thinking models stream `delta.reasoning_content` (not answer
 * text); its tokens are in completion_tokens. The request id is `x-request-id`.
 */
export const qwenProfile = defineProfile({
  id: "qwen",
  defaultBaseUrl: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
});

export const createAdapter: AdapterFactory = (settings) =>
  createCompatibleAdapter(qwenProfile, settings);
