import type { ProviderId } from "./types.ts";

export interface ProviderErrorOptions {
  provider: ProviderId;
  status?: number;
  upstreamRequestId?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A failure talking to a provider. `retryable` decides whether the router may
 * try again (same provider after a jittered delay, or the next candidate);
 * it only does so before the first byte went to the client.
 */
export class ProviderError extends Error {
  readonly code: string = "provider_error";
  readonly retryable: boolean = false;
  /** The HTTP status the gateway answers with when this ends a request. */
  readonly httpStatus: number = 502;
  readonly provider: ProviderId;
  readonly upstreamStatus: number | undefined;
  readonly upstreamRequestId: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ProviderErrorOptions) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.provider = options.provider;
    this.upstreamStatus = options.status;
    this.upstreamRequestId = options.upstreamRequestId;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The provider rejected the request itself (400, 404, 422). Not retryable. */
export class ProviderBadRequestError extends ProviderError {
  override readonly code = "provider_bad_request";
  override readonly httpStatus = 502;
}

/** The gateway's key for this provider is missing, wrong or not allowed (401, 403). */
export class ProviderAuthError extends ProviderError {
  override readonly code = "provider_auth";
  override readonly httpStatus = 502;
}

/** 429. Retryable; honours retry-after. */
export class ProviderRateLimitError extends ProviderError {
  override readonly code = "provider_rate_limited";
  override readonly retryable = true;
  override readonly httpStatus = 429;
}

/** 5xx, overloaded. Retryable. */
export class ProviderServerError extends ProviderError {
  override readonly code = "provider_unavailable";
  override readonly retryable = true;
  override readonly httpStatus = 503;
}

/** No connection, reset before headers, timeout. Retryable. */
export class ProviderConnectionError extends ProviderError {
  override readonly code = "provider_unreachable";
  override readonly retryable = true;
  override readonly httpStatus = 504;
}

/** The stream broke after it opened: cut, malformed chunk, in-band error event. */
export class ProviderStreamError extends ProviderError {
  override readonly code = "provider_stream_error";
  override readonly httpStatus = 502;
}

/** Maps an HTTP status from a provider to the error class for it. */
export function providerErrorForStatus(
  status: number | undefined,
  message: string,
  options: ProviderErrorOptions,
): ProviderError {
  if (status === 429) return new ProviderRateLimitError(message, options);
  if (status === 401 || status === 403) return new ProviderAuthError(message, options);
  if (status === 408) return new ProviderConnectionError(message, options);
  if (status !== undefined && status >= 500) return new ProviderServerError(message, options);
  if (status !== undefined && status >= 400) return new ProviderBadRequestError(message, options);
  return new ProviderConnectionError(message, options);
}

/** Parses a Retry-After header (seconds or HTTP date) or retry-after-ms into ms. */
export function parseRetryAfter(
  retryAfter: string | null | undefined,
  retryAfterMs?: string | null,
  now: number = Date.now(),
): number | undefined {
  if (retryAfterMs) {
    const ms = Number(retryAfterMs);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  if (!retryAfter) return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(retryAfter);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return undefined;
}
