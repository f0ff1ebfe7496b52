import { APIConnectionError, APIError, APIUserAbortError } from "openai";
import {
  ProviderConnectionError,
  ProviderError,
  parseRetryAfter,
  providerErrorForStatus,
} from "../errors.ts";
import type { ProviderId } from "../types.ts";
import type { CompatibleProfile } from "./profile.ts";

/** An abort is the caller's doing, never a provider failure. */
export function abortError(provider: ProviderId, signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  const error = new Error(`${provider}: the call was aborted`, { cause: reason });
  error.name = "AbortError";
  return error;
}

export function readRequestId(
  headers: Headers | undefined,
  names: readonly string[],
): string | undefined {
  for (const name of names) {
    const value = headers?.get(name);
    if (value) return value;
  }
  return undefined;
}

/** Maps a failure while opening the call, before any byte of the answer. */
export function toOpenError(
  profile: CompatibleProfile,
  error: unknown,
  signal: AbortSignal,
): Error {
  const provider = profile.id;
  if (signal.aborted || error instanceof APIUserAbortError) return abortError(provider, signal);
  if (error instanceof ProviderError) return error;
  // Also APIConnectionTimeoutError (no headers within the timeout), its subclass.
  if (error instanceof APIConnectionError) {
    return new ProviderConnectionError(`${provider}: ${describeCause(error)}`, {
      provider,
      cause: error,
    });
  }
  if (error instanceof APIError && error.status !== undefined) {
    const headers = error.headers;
    const hints = profile.readErrorBody?.(error.error) ?? {};
    return providerErrorForStatus(
      hints.classifyAs ?? error.status,
      `${provider}: ${error.message}`,
      {
        provider,
        status: error.status,
        upstreamRequestId: readRequestId(headers, profile.requestIdHeaders),
        retryAfterMs:
          parseRetryAfter(headers?.get("retry-after"), headers?.get("retry-after-ms")) ??
          hints.retryAfterMs,
        cause: error,
      },
    );
  }
  return new ProviderError(`${provider}: ${errorMessage(error)}`, { provider, cause: error });
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause === undefined
    ? error.message
    : `${error.message} (${errorMessage(error.cause)})`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
