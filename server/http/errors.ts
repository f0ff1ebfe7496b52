import type { Response } from "express";
import type { RequestContext } from "./context.ts";
import { visitorMessage } from "./visitor-errors.ts";

/** A failure the gateway answers with its own HTTP status and error envelope. */
export class GatewayError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  /** Extra fields for the error envelope (e.g. when a cap resets). */
  details: Record<string, unknown> = {};

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "GatewayError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/**
 * The JSON error envelope of docs/wire-format.md: {"error":{"code","message","request_id"}}.
 * On a route a visitor's browser calls itself, the message is the code's fixed
 * sentence for visitors, and the one given goes to the route's log.
 */
export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
  details: Record<string, unknown> = {},
): void {
  if (res.headersSent) return;
  const visitorFacing = (res.locals as Partial<RequestContext>).visitorFacing;
  let shown = message;
  if (visitorFacing) {
    visitorFacing({ status, code, message });
    shown = visitorMessage(code);
  }
  res
    .status(status)
    .set(headers)
    .json({ error: { code, message: shown, request_id: requestId, ...details } });
}
