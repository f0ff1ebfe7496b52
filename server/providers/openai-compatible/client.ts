import OpenAI, { type APIError } from "openai";
import { createNodeFetch } from "../transport/node-fetch.ts";

export interface ClientSettings {
  apiKey: string;
  baseUrl: string;
  headersTimeoutMs: number;
  /** A transport shared with other clients; a new one (its own keep-alive pool) without. */
  fetch?: typeof fetch;
}

/**
 * The OpenAI SDK, reading error bodies that are not shaped like OpenAI's.
 * The SDK takes the message from `body.error`; two providers here put it
 * elsewhere, and the SDK would report "429 status code (no body)":
 * - Gemini's compatible endpoint wraps the body in an array:
 *   `[{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [...]}}]`;
 * - Mistral answers `{"object": "error", "message": ..., "type": ..., "code": ...}`.
 */
class CompatibleClient extends OpenAI {
  protected override makeStatusError(
    status: number,
    error: object,
    message: string | undefined,
    headers: Headers,
  ): APIError {
    return super.makeStatusError(status, normalizeErrorBody(error), message, headers);
  }
}

function normalizeErrorBody(body: object): object {
  const first: unknown = Array.isArray(body) ? body[0] : body;
  if (typeof first !== "object" || first === null) return body;
  if (!("error" in first) && "message" in first) return { error: first };
  return first;
}

export function createClient(settings: ClientSettings): OpenAI {
  return new CompatibleClient({
    apiKey: settings.apiKey,
    baseURL: settings.baseUrl,
    // The gateway's router retries (with jitter, across candidates); the SDK must not.
    maxRetries: 0,
    // The SDK clears this timer once the response headers are in, so it bounds
    // the wait for the first byte only, never a long answer.
    timeout: settings.headersTimeoutMs,
    // Every failure reaches the caller as a ProviderError; the SDK's console
    // logging (it prints a malformed chunk) would only duplicate it.
    logLevel: "off",
    // Never pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment: they
    // would be sent to every provider, and the gateway configures only SLUICE_*.
    organization: null,
    project: null,
    // The SDK builds, signs and sends every request and reads every refusal;
    // over node:http the answer's body stays a Node stream, read by stream.ts.
    fetch: settings.fetch ?? createNodeFetch(),
  });
}
