import { BedrockRuntimeServiceException } from "@aws-sdk/client-bedrock-runtime";
import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderConnectionError,
  ProviderError,
  type ProviderErrorOptions,
  ProviderRateLimitError,
  ProviderServerError,
  ProviderStreamError,
  parseRetryAfter,
  providerErrorForStatus,
} from "../errors.ts";

const provider = "bedrock" as const;

type ProviderErrorClass = new (message: string, options: ProviderErrorOptions) => ProviderError;

/**
 * Exceptions ConverseStream can send inside the event stream (frames with
 * `:message-type: exception`): whether Bedrock calls them retryable, and the
 * error class for one that arrives before the first event (see toOpenError).
 */
const STREAM_EXCEPTIONS: Readonly<
  Record<string, { retryable: boolean; beforeFirstEvent: ProviderErrorClass }>
> = {
  ThrottlingException: { retryable: true, beforeFirstEvent: ProviderRateLimitError },
  ServiceUnavailableException: { retryable: true, beforeFirstEvent: ProviderServerError },
  InternalServerException: { retryable: true, beforeFirstEvent: ProviderServerError },
  ModelStreamErrorException: { retryable: true, beforeFirstEvent: ProviderServerError },
  ValidationException: { retryable: false, beforeFirstEvent: ProviderBadRequestError },
};

/** Socket-level failures: nothing usable came back from the upstream. */
const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/** An abort is the caller's doing, never a provider failure. */
export function abortError(signal: AbortSignal): Error {
  const error = new Error("bedrock: the call was aborted", { cause: signal.reason });
  error.name = "AbortError";
  return error;
}

/**
 * Maps a failure while opening the call. The SDK's send() resolves only
 * after the first event frame, so an exception frame that comes first lands
 * here too; nothing has reached the client yet, so it maps to the retryable
 * class that its HTTP twin would get.
 */
export function toOpenError(error: unknown, signal: AbortSignal): Error {
  if (signal.aborted || nameOf(error) === "AbortError") return abortError(signal);
  if (error instanceof ProviderError) return error;
  if (error instanceof BedrockRuntimeServiceException) {
    const status = error.$metadata?.httpStatusCode;
    const options: ProviderErrorOptions = {
      provider,
      upstreamRequestId: error.$metadata?.requestId ?? header(error, "x-amzn-requestid"),
      cause: error,
    };
    const message = `bedrock: ${error.name}: ${error.message}`;
    if (status !== undefined && status >= 400) {
      return providerErrorForStatus(status, message, {
        ...options,
        status,
        retryAfterMs: parseRetryAfter(
          header(error, "retry-after"),
          header(error, "retry-after-ms"),
        ),
      });
    }
    const exception = STREAM_EXCEPTIONS[error.name];
    if (exception) return new exception.beforeFirstEvent(message, options);
  }
  const name = nameOf(error);
  if (name === "CredentialsProviderError" || name === "TokenProviderError") {
    return new ProviderAuthError(`bedrock: ${messageOf(error)}`, { provider, cause: error });
  }
  if (name === "TimeoutError" || CONNECTION_ERROR_CODES.has(codeOf(error) ?? "")) {
    return new ProviderConnectionError(`bedrock: ${messageOf(error)}`, { provider, cause: error });
  }
  // The response came but its first frame could not be read (bad checksum…).
  return new ProviderStreamError(`bedrock: unreadable response: ${messageOf(error)}`, {
    provider,
    cause: error,
  });
}

/** Maps a failure after the stream began: exception frame, bad frame, cut. */
export function toStreamError(
  error: unknown,
  signal: AbortSignal,
  upstreamRequestId: string | undefined,
): Error {
  if (signal.aborted) return abortError(signal);
  if (error instanceof ProviderError) return error;
  const name = nameOf(error) ?? "Error";
  const exception = STREAM_EXCEPTIONS[name];
  if (exception) {
    const retry = exception.retryable
      ? "retryable upstream, but not retried mid-stream"
      : "not retryable";
    return new ProviderStreamError(`bedrock: ${name} in stream (${retry}): ${messageOf(error)}`, {
      provider,
      upstreamRequestId,
      cause: error,
    });
  }
  return new ProviderStreamError(`bedrock: stream broke: ${messageOf(error)}`, {
    provider,
    upstreamRequestId,
    cause: error,
  });
}

function header(error: BedrockRuntimeServiceException, name: string): string | undefined {
  const headers = error.$response?.headers ?? {};
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function nameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
