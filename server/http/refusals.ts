import type { Response } from "express";
import { ERROR_CODES } from "../../contract/error-codes.ts";
import type { Refusal, RefusalCode } from "../refusal.ts";
import { sendError } from "./errors.ts";

/** The HTTP status of a domain refusal: its code's in the contract's table. */
export function refusalStatus(code: RefusalCode): number {
  return ERROR_CODES[code].status;
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
