/**
 * Every error code a client of Sluice can meet, once: in the gateway's JSON
 * envelope, in an `error` frame of a stream, in the plugin's WP_Error answers,
 * or in the request list's `error_code`. The gateway's maps (http/refusals.ts,
 * http/public-errors.ts, the ProviderError classes) read or are tested against
 * this table; the plugin reads it from plugin/includes/class-error-codes.php,
 * written from it by scripts/contract/write-php.ts. docs/wire-format.md (gateway)
 * and docs/wordpress-contract.md (plugin) name every code.
 */

/** Who puts the code on the wire. */
export type ErrorEmitter = "gateway" | "plugin" | "wordpress";

export interface ErrorCodeRow {
  /**
   * The HTTP status of an answer refused with this code. null: the code has no
   * status of its own (an `error` frame of a started stream, the request list,
   * or a relayed answer that keeps the gateway's status).
   */
  readonly status: number | null;
  readonly emitter: ErrorEmitter;
  /**
   * Whether the message sent with the code may reach an anonymous visitor as it
   * is: a fixed sentence that tells nothing of the site's set-up. The gateway's
   * own refusals name fields, caps and allowlists for the site's admin, so the
   * plugin words them anew for visitors. The Chat block shows its own sentence
   * per code in any case, never a message.
   */
  readonly visitorMaySeeMessage: boolean;
  /**
   * The fixed message the gateway sends with a failure of the provider or of
   * its own in place of the cause's text (which goes to its log); absent when
   * the message is written for the request at hand.
   */
  readonly message?: string;
}

export const ERROR_CODES = {
  // The gateway: the request itself (http/).
  invalid_request: { status: 400, emitter: "gateway", visitorMaySeeMessage: false },
  invalid_json: { status: 400, emitter: "gateway", visitorMaySeeMessage: false },
  invalid_content_type: { status: 400, emitter: "gateway", visitorMaySeeMessage: false },
  policy_too_loose: { status: 400, emitter: "gateway", visitorMaySeeMessage: false },
  not_found: { status: 404, emitter: "gateway", visitorMaySeeMessage: false },
  body_too_large: { status: 413, emitter: "gateway", visitorMaySeeMessage: false },
  unsupported_encoding: { status: 415, emitter: "gateway", visitorMaySeeMessage: false },

  // The gateway: the site signature (http/auth.ts).
  signature_missing: { status: 401, emitter: "gateway", visitorMaySeeMessage: false },
  unknown_site: { status: 401, emitter: "gateway", visitorMaySeeMessage: false },
  timestamp_out_of_window: { status: 401, emitter: "gateway", visitorMaySeeMessage: false },
  invalid_nonce: { status: 401, emitter: "gateway", visitorMaySeeMessage: false },
  signature_invalid: { status: 401, emitter: "gateway", visitorMaySeeMessage: false },
  nonce_reused: { status: 401, emitter: "gateway", visitorMaySeeMessage: false },

  // The gateway: the chat ticket of direct mode (http/ticket-auth.ts). The browser reads these.
  ticket_missing: { status: 401, emitter: "gateway", visitorMaySeeMessage: false },
  ticket_invalid: { status: 401, emitter: "gateway", visitorMaySeeMessage: false },
  ticket_expired: { status: 401, emitter: "gateway", visitorMaySeeMessage: false },
  ticket_reused: { status: 401, emitter: "gateway", visitorMaySeeMessage: false },
  ticket_body_mismatch: { status: 401, emitter: "gateway", visitorMaySeeMessage: false },
  origin_mismatch: { status: 401, emitter: "gateway", visitorMaySeeMessage: false },

  // The gateway: domain refusals (server/refusal.ts).
  unknown_model: { status: 400, emitter: "gateway", visitorMaySeeMessage: false },
  context_length_exceeded: { status: 400, emitter: "gateway", visitorMaySeeMessage: false },
  model_not_allowed: { status: 403, emitter: "gateway", visitorMaySeeMessage: false },
  budget_exhausted: { status: 429, emitter: "gateway", visitorMaySeeMessage: false },
  provider_not_configured: { status: 503, emitter: "gateway", visitorMaySeeMessage: false },
  no_route: { status: 503, emitter: "gateway", visitorMaySeeMessage: false },
  ledger_unavailable: { status: 503, emitter: "gateway", visitorMaySeeMessage: false },
  /** The admin's transcript routes: no kept conversation by that id. */
  transcript_not_found: { status: 404, emitter: "gateway", visitorMaySeeMessage: false },

  // The gateway: failures of the provider or of the gateway, with a fixed message.
  provider_error: {
    status: 502,
    emitter: "gateway",
    visitorMaySeeMessage: true,
    message: "the model provider failed; try again",
  },
  provider_bad_request: {
    status: 502,
    emitter: "gateway",
    visitorMaySeeMessage: true,
    message: "the model provider refused the request",
  },
  provider_auth: {
    status: 502,
    emitter: "gateway",
    visitorMaySeeMessage: true,
    message: "the gateway could not sign in to the model provider; tell the site's operator",
  },
  provider_rate_limited: {
    status: 429,
    emitter: "gateway",
    visitorMaySeeMessage: true,
    message: "the model provider is busy; try again shortly",
  },
  provider_unavailable: {
    status: 503,
    emitter: "gateway",
    visitorMaySeeMessage: true,
    message: "the model provider is unavailable; try again later",
  },
  provider_unreachable: {
    status: 504,
    emitter: "gateway",
    visitorMaySeeMessage: true,
    message: "the model provider could not be reached; try again",
  },
  provider_stream_error: {
    status: 502,
    emitter: "gateway",
    visitorMaySeeMessage: true,
    message: "the model provider broke off the answer; try again",
  },
  upstream_stalled: {
    status: 504,
    emitter: "gateway",
    visitorMaySeeMessage: true,
    message: "the model provider stopped sending; try again",
  },
  stream_timeout: {
    status: 504,
    emitter: "gateway",
    visitorMaySeeMessage: true,
    message: "the answer took longer than the gateway allows",
  },
  internal_error: {
    status: 500,
    emitter: "gateway",
    visitorMaySeeMessage: true,
    message: "the answer stopped because of an internal error",
  },

  // The gateway: the request list only (a chat a restart cut short, billed at start-up).
  gateway_restarted: { status: null, emitter: "gateway", visitorMaySeeMessage: false },

  // The plugin's chat and ticket routes (docs/wordpress-contract.md).
  sluice_invalid_request: { status: 400, emitter: "plugin", visitorMaySeeMessage: true },
  /** Inside WordPress's rest_invalid_param (data.details.messages). */
  sluice_system_message: { status: 400, emitter: "plugin", visitorMaySeeMessage: true },
  sluice_chat_off: { status: 403, emitter: "plugin", visitorMaySeeMessage: true },
  sluice_not_chat_block: { status: 403, emitter: "plugin", visitorMaySeeMessage: true },
  sluice_post_not_found: { status: 404, emitter: "plugin", visitorMaySeeMessage: true },
  sluice_block_not_found: { status: 404, emitter: "plugin", visitorMaySeeMessage: true },
  sluice_rate_limited: { status: 429, emitter: "plugin", visitorMaySeeMessage: true },
  sluice_unavailable: { status: 502, emitter: "plugin", visitorMaySeeMessage: true },
  sluice_not_configured: { status: 503, emitter: "plugin", visitorMaySeeMessage: true },
  /** The ticket route when direct mode is not in force: the block asks the chat route instead. */
  sluice_direct_off: { status: 409, emitter: "plugin", visitorMaySeeMessage: true },
  /** A Chat block's own daily cap (its `dailyQuestions`) is reached: until the site's midnight. */
  sluice_daily_cap_reached: { status: 429, emitter: "plugin", visitorMaySeeMessage: true },
  /** Turnstile is on and the question came without its `turnstile_token`. */
  sluice_turnstile_missing: { status: 400, emitter: "plugin", visitorMaySeeMessage: true },
  /** Cloudflare's siteverify refused the `turnstile_token` (wrong, expired or used). */
  sluice_turnstile_invalid: { status: 403, emitter: "plugin", visitorMaySeeMessage: true },
  /** Cloudflare's siteverify could not be asked (or refused the site's secret): refused, fail closed. */
  sluice_turnstile_unavailable: { status: 503, emitter: "plugin", visitorMaySeeMessage: true },
  /** A gateway failure without a code of its own (say, a proxy's HTML page): the gateway's status. */
  sluice_gateway_error: { status: null, emitter: "plugin", visitorMaySeeMessage: false },
  /** The plugin's `error` frame when the gateway's stream broke off before `[DONE]`. */
  gateway_stream_cut: { status: null, emitter: "plugin", visitorMaySeeMessage: true },

  // WordPress's REST API, on the plugin's routes.
  rest_invalid_param: { status: 400, emitter: "wordpress", visitorMaySeeMessage: true },
  rest_cookie_invalid_nonce: { status: 403, emitter: "wordpress", visitorMaySeeMessage: true },
} as const satisfies Record<string, ErrorCodeRow>;

export type ErrorCode = keyof typeof ERROR_CODES;

type CodesWhere<Shape> = {
  [Code in ErrorCode]: (typeof ERROR_CODES)[Code] extends Shape ? Code : never;
}[ErrorCode];

export type GatewayErrorCode = CodesWhere<{ emitter: "gateway" }>;
export type PluginErrorCode = CodesWhere<{ emitter: "plugin" }>;
/** The gateway's codes that carry a fixed message (failures, never refusals). */
export type FailureCode = CodesWhere<{ message: string }>;

/**
 * The fixed message of a failure whose code has none in the table (a newer
 * gateway's, or one that is not a failure code).
 */
export const UNKNOWN_FAILURE_MESSAGE = "the answer stopped because of an error";

/**
 * The plugin relays a gateway refusal as `sluice_gateway_<code>`, with the
 * gateway's status.
 */
export const RELAYED_GATEWAY_PREFIX = "sluice_gateway_";

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}
