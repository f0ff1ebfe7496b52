import { createCompatibleAdapter, defineProfile } from "../openai-compatible/index.ts";
import type { AdapterFactory } from "../types.ts";
import { readXaiUsage } from "./usage.ts";

/**
 * xAI (Grok). Usage comes on every chunk, cumulative; the last one carries the
 * reasoning tokens and the request's cost in ticks. grok-3-mini streams
 * `delta.reasoning_content`, which is not answer text.
 */
export const xaiProfile = defineProfile({
  id: "xai",
  defaultBaseUrl: "https://api.x.ai/v1",
  readUsage: readXaiUsage,
});

export const createAdapter: AdapterFactory = (settings) =>
  createCompatibleAdapter(xaiProfile, settings);
