import type { Response } from "express";
import type { Refusal, RefusalCode } from "../refusal.ts";
import { sendError } from "./errors.ts";

/** The HTTP status of each domain refusal: the one place it is decided. */
const STATUS: Record<RefusalCode, number> = {
  unknown_model: 400,
  invalid_request: 400,
  context_length_exceeded: 400,
  model_not_allowed: 403,
  budget_exhausted: 429,
  provider_not_configured: 503,
  no_route: 503,
  ledger_unavailable: 503,
};

export function refusalStatus(code: RefusalCode): number {
  return STATUS[code];
}

/** Answers a refusal with its status, envelope (message and details) and Retry-After. */
export function sendRefusal(res: Response, refusal: Refusal, requestId: string): void {
  const headers: Record<string, string> =
    refusal.retryAfterSeconds === undefined
      ? {}
      : { "Retry-After": String(refusal.retryAfterSeconds) };
  sendError(
    res,
    refusalStatus(refusal.code),
    refusal.code,
    refusal.message,
    requestId,
    headers,
    refusal.details,
  );
}
