/**
 * How each provider's real server answers, apart from the stream itself
 * (which the fixtures hold): the base path, the request-id header, the shape
 * of an error body, the shape of an in-band error, and the request fields
 * the server refuses. Data, not logic; sources in README.md.
 */

export const WIRE_PROVIDERS = [
  "openai",
  "google",
  "deepseek",
  "xai",
  "mistral",
  "qwen",
  "huggingface",
] as const;

export type WireProvider = (typeof WIRE_PROVIDERS)[number];

export interface Refusal {
  status: number;
  body: unknown;
}

export interface WireProfile {
  /** The base URL's path: requests go to `${pathPrefix}/chat/completions`. */
  pathPrefix: string;
  /** The response header carrying the request id, and a sample value. */
  requestId?: { header: string; value: string };
  errorBody(status: number, message: string): unknown;
  /** An error object sent inside the stream, as a data line. */
  inBandError: unknown;
  /** The real server's answer to a request body it does not accept. */
  refuse?(body: Record<string, unknown>): Refusal | undefined;
}

const openaiStyleError = (type: string) => (status: number, message: string) => ({
  error: {
    message,
    type: status === 429 ? "requests" : status === 401 ? "invalid_request_error" : type,
    param: null,
    code: status === 429 ? "rate_limit_exceeded" : status === 401 ? "invalid_api_key" : null,
  },
});

const googleStatus: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

export const wireProfiles: Record<WireProvider, WireProfile> = {
  openai: {
    pathPrefix: "/v1",
    requestId: { header: "x-request-id", value: "req_6f1c3e9b2a7d4e58b0c4a1d2e3f4a5b6" },
    errorBody: openaiStyleError("server_error"),
    inBandError: {
      error: {
        message: "The server had an error while processing your request. Sorry about that!",
        type: "server_error",
        param: null,
        code: null,
      },
    },
  },
  google: {
    pathPrefix: "/v1beta/openai",
    // The compatible endpoint wraps Google's error object in an array.
    errorBody: (status, message) => [
      {
        error: {
          code: status,
          message,
          status: googleStatus[status] ?? "UNKNOWN",
          ...(status === 429
            ? {
                details: [
                  {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    violations: [{ quotaMetric: "generate_content_free_tier_requests" }],
                  },
                  { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "22s" },
                ],
              }
            : {}),
        },
      },
    ],
    inBandError: {
      error: { code: 500, message: "Internal error encountered.", status: "INTERNAL" },
    },
  },
  deepseek: {
    pathPrefix: "/v1",
    requestId: { header: "x-ds-trace-id", value: "fb3cc7347920593f11e4fe8116dee066" },
    errorBody: (status, message) => ({
      error: {
        message,
        type: status === 401 ? "authentication_error" : "server_error",
        param: null,
        code: status === 401 ? "invalid_request_error" : null,
      },
    }),
    inBandError: { error: { message: "Service is too busy.", type: "server_error" } },
  },
  xai: {
    pathPrefix: "/v1",
    requestId: { header: "x-request-id", value: "0b1d6a8e-57c2-4f43-9a7e-3c5f0e2d1b84" },
    errorBody: (status, message) => ({ code: String(status), error: message }),
    inBandError: { error: { message: "Internal server error", type: "server_error" } },
  },
  mistral: {
    pathPrefix: "/v1",
    requestId: { header: "mistral-correlation-id", value: "019a5b2e-7c41-7d8e-9f10-2a3b4c5d6e7f" },
    errorBody: (status, message) => ({
      object: "error",
      message,
      type: status === 429 ? "rate_limited" : status === 401 ? "unauthorized" : "internal_error",
      param: null,
      code: status === 429 ? "1300" : null,
    }),
    inBandError: { error: { message: "Internal server error", type: "internal_error" } },
    // Mistral validates strictly: OpenAI fields it does not know are a 422.
    refuse: (body) => {
      const extra = ["stream_options", "max_completion_tokens"].find((field) => field in body);
      if (extra === undefined) return undefined;
      return {
        status: 422,
        body: {
          object: "error",
          message: {
            detail: [
              {
                type: "extra_forbidden",
                loc: ["body", extra],
                msg: "Extra inputs are not permitted",
                input: body[extra],
              },
            ],
          },
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      };
    },
  },
  qwen: {
    pathPrefix: "/compatible-mode/v1",
    requestId: { header: "x-request-id", value: "60520db4-63a4-90e3-90f8-18d216eb35df" },
    errorBody: (status, message) => ({
      error: {
        message,
        type:
          status === 429 ? "limit_requests" : status === 401 ? "invalid_api_key" : "internal_error",
        param: null,
        code:
          status === 429 ? "limit_requests" : status === 401 ? "invalid_api_key" : "internal_error",
      },
      request_id: "60520db4-63a4-90e3-90f8-18d216eb35df",
    }),
    inBandError: {
      error: {
        message: "An internal error has occured.",
        type: "internal_error",
        code: "internal_error",
      },
    },
  },
  huggingface: {
    pathPrefix: "/v1",
    requestId: { header: "x-request-id", value: "Root=1-68f0c2a1-3b9d7e2f4a6c8e0b1d3f5a7c" },
    // The router's own errors are a bare string under `error`.
    errorBody: (_status, message) => ({ error: message }),
    // Text Generation Inference's in-band error.
    inBandError: {
      error: "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 8192",
      error_type: "validation",
    },
  },
};
