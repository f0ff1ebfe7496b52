import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { NextFunction, Request, Response } from "express";

/** What the gateway knows about a request once it passed the middleware. */
export interface RequestContext {
  requestId: string;
  receivedAt: number;
  /** Set by the signature check. */
  siteId: string;
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
