import type { GatewayErrorCode } from "../contract/error-codes.ts";

/** Names only codes of the contract's table (which gives each its HTTP status). */
type GatewayCodes<Code extends GatewayErrorCode> = Code;

/**
 * Why the gateway will not (or cannot) run a request, in domain terms: the
 * planner, the budget and the admission throw these; only http/ gives each
 * code its HTTP status, from contract/error-codes.ts. Imports only the
 * contract, so every layer may use it.
 */
export type RefusalCode = GatewayCodes<
  | "unknown_model"
  | "provider_not_configured"
  | "invalid_request"
  | "context_length_exceeded"
  | "no_route"
  | "model_not_allowed"
  | "budget_exhausted"
  | "ledger_unavailable"
>;

export class Refusal extends Error {
  override name = "Refusal";
  readonly code: RefusalCode;
  /** Extra fields for the error envelope (e.g. which cap, when it resets). */
  readonly details: Record<string, unknown>;
  /** When trying again could succeed, in seconds. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: RefusalCode,
    message: string,
    options: { details?: Record<string, unknown>; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.code = code;
    this.details = options.details ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
