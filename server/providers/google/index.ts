import { createCompatibleAdapter, defineProfile } from "../openai-compatible/index.ts";
import type { AdapterFactory } from "../types.ts";
import { readGoogleErrorBody } from "./errors.ts";
import { readGeminiUsage } from "./usage.ts";

/**
 * Gemini through its OpenAI-compatible endpoint. `max_tokens` is accepted
 * (it becomes maxOutputTokens, which thinking tokens count against). Gemini
 * sends no request-id header; the chunk ids are its response ids.
 */
export const googleProfile = defineProfile({
  id: "google",
  defaultBaseUrl: "https://generativelanguage.googleapis.com/v1beta/openai",
  requestIdHeaders: [],
  readUsage: readGeminiUsage,
  readErrorBody: readGoogleErrorBody,
});

export const createAdapter: AdapterFactory = (settings) =>
  createCompatibleAdapter(googleProfile, settings);
