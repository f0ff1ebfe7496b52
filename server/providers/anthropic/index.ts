import Anthropic from "@anthropic-ai/sdk";
import { ProviderAuthError } from "../errors.ts";
import type { AdapterFactory, ProviderEvent } from "../types.ts";
import { abortError, toOpenError } from "./errors.ts";
import { toMessageRequest } from "./request.ts";
import { toProviderEvents } from "./stream.ts";

/**
 * Anthropic Messages API (streaming) through the official SDK.
 * `settings.baseUrl` is the host root (the SDK appends /v1/messages).
 */
export const createAdapter: AdapterFactory = (settings) => {
  const client = settings.apiKey
    ? new Anthropic({
        apiKey: settings.apiKey,
        baseURL: settings.baseUrl,
        // The gateway's router retries (with jitter, across candidates).
        maxRetries: 0,
        // Every failure reaches the caller as a ProviderError; the SDK's own
        // console logging (e.g. of a malformed chunk) would only duplicate it.
        logLevel: "off",
      })
    : undefined;

  return {
    id: "anthropic",
    async open(call, signal): Promise<AsyncIterable<ProviderEvent>> {
      if (signal.aborted) throw abortError(signal);
      if (!client) {
        throw new ProviderAuthError("anthropic: no API key configured", { provider: "anthropic" });
      }
      try {
        // withResponse() resolves once the response headers are in; the body
        // is read only as the caller iterates.
        const { data, request_id } = await client.messages
          .create(toMessageRequest(call), { signal })
          .withResponse();
        return toProviderEvents(data, signal, request_id ?? undefined);
      } catch (error) {
        throw toOpenError(error, signal);
      }
    },
  };
};
