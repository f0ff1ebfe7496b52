import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { NextFunction, Request, Response } from "express";

/** What the gateway knows about a request once it passed the middleware. */
export interface RequestContext {
  requestId: string;
  receivedAt: number;
  /** Set by the signature check. */
  siteId: string;
  /**
   * Set on a route the visitor's browser calls itself (direct mode): every
   * refusal is then answered with a fixed sentence for its code
   * (visitor-errors.ts), and its own words are handed here, for the log.
   */
  visitorFacing?: (refusal: { status: number; code: string; message: string }) => void;
}

export function context(res: Response): RequestContext {
  return res.locals as RequestContext;
}

/** Gives each request an id (echoed as X-Request-Id) and its arrival time. */
export function assignRequestId(_req: Request, res: Response, next: NextFunction): void {
  const locals = res.locals as Partial<RequestContext>;
  locals.receivedAt = performance.now();
  locals.requestId = `req_${randomUUID().replaceAll("-", "")}`;
  res.setHeader("X-Request-Id", locals.requestId);
  next();
}
