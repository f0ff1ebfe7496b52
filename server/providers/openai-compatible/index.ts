import { ProviderAuthError } from "../errors.ts";
import type { ProviderAdapter, ProviderEvent, ProviderSettings } from "../types.ts";
import { createClient } from "./client.ts";
import { abortError, readRequestId, toOpenError } from "./errors.ts";
import type { CompatibleProfile } from "./profile.ts";
import { toChatRequest } from "./request.ts";
import { readCompatibleStream } from "./stream.ts";

export { type CompatibleProfile, defineProfile } from "./profile.ts";

export interface CompatibleAdapterOptions {
  /**
   * How long to wait for the response headers. Past it the call fails with a
   * retryable ProviderConnectionError. The answer itself is not timed here:
   * the gateway ends a stalled stream through the signal.
   */
  headersTimeoutMs?: number;
}

export const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;

/**
 * The shared adapter for every provider that speaks OpenAI's streaming
 * chat-completions API, through the official `openai` SDK. A provider is a
 * profile (see profile.ts) on top of it.
 */
export function createCompatibleAdapter(
  profile: CompatibleProfile,
  settings: ProviderSettings,
  options: CompatibleAdapterOptions = {},
): ProviderAdapter {
  const provider = profile.id;
  // No key, no client: the SDK would otherwise fall back to OPENAI_API_KEY and
  // send OpenAI's key to whichever provider this is.
  const client = settings.apiKey
    ? createClient({
        apiKey: settings.apiKey,
        baseUrl: settings.baseUrl || profile.defaultBaseUrl,
        headersTimeoutMs: options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
        ...(settings.fetch ? { fetch: settings.fetch } : {}),
      })
    : undefined;

  return {
    id: provider,
    async open(call, signal): Promise<AsyncIterable<ProviderEvent>> {
      if (signal.aborted) throw abortError(provider, signal);
      if (!client) {
        throw new ProviderAuthError(`${provider}: no API key configured`, { provider });
      }
      try {
        // asResponse() resolves once the SDK has the response headers and
        // found the status good; the body is read as the caller iterates.
        const response = await client.chat.completions
          .create(toChatRequest(profile, call), { signal })
          .asResponse();
        return readCompatibleStream(response, {
          profile,
          signal,
          upstreamRequestId: readRequestId(response.headers, profile.requestIdHeaders),
        });
      } catch (error) {
        throw toOpenError(profile, error, signal);
      }
    },
  };
}
