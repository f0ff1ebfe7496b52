import { APIConnectionError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";
import {
  ProviderConnectionError,
  ProviderError,
  ProviderStreamError,
  parseRetryAfter,
  providerErrorForStatus,
} from "../errors.ts";

const provider = "anthropic" as const;

/** An abort is the caller's doing, never a provider failure. */
export function abortError(signal: AbortSignal): Error {
  const error = new Error("anthropic: the call was aborted", { cause: signal.reason });
  error.name = "AbortError";
  return error;
}

/** Maps a failure while opening the call (before the stream began). */
export function toOpenError(error: unknown, signal: AbortSignal): Error {
  if (signal.aborted || error instanceof APIUserAbortError) return abortError(signal);
  if (error instanceof ProviderError) return error;
  // Also covers APIConnectionTimeoutError, its subclass.
  if (error instanceof APIConnectionError) {
    return new ProviderConnectionError(`anthropic: ${describeCause(error)}`, {
      provider,
      cause: error,
    });
  }
  if (error instanceof APIError && error.status !== undefined) {
    const headers = error.headers;
    return providerErrorForStatus(error.status, `anthropic: ${describeApiError(error)}`, {
      provider,
      status: error.status,
      upstreamRequestId: headers?.get("request-id") ?? undefined,
      retryAfterMs: parseRetryAfter(headers?.get("retry-after"), headers?.get("retry-after-ms")),
      cause: error,
    });
  }
  return new ProviderError(`anthropic: ${errorMessage(error)}`, { provider, cause: error });
}

/** Maps a failure after the stream began: in-band error, malformed data, cut. */
export function toStreamError(
  error: unknown,
  signal: AbortSignal,
  upstreamRequestId: string | undefined,
): Error {
  if (signal.aborted) return abortError(signal);
  if (error instanceof ProviderError) return error;
  if (error instanceof APIError) {
    // The SDK throws an APIError without a status for an in-band `event: error`.
    return new ProviderStreamError(`anthropic: error event in stream: ${describeApiError(error)}`, {
      provider,
      upstreamRequestId: error.requestID ?? upstreamRequestId,
      cause: error,
    });
  }
  const reason = error instanceof SyntaxError ? "malformed event data" : "stream broke";
  return new ProviderStreamError(`anthropic: ${reason}: ${errorMessage(error)}`, {
    provider,
    upstreamRequestId,
    cause: error,
  });
}

function describeApiError(error: APIError): string {
  const status = error.status === undefined ? "" : `${error.status} `;
  return `${status}${error.type ?? "error"}: ${error.apiMessage ?? error.message}`;
}

function describeCause(error: Error): string {
  return error.cause === undefined
    ? error.message
    : `${error.message} (${errorMessage(error.cause)})`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
