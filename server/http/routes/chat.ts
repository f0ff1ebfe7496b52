import type { Request, Response } from "express";
import { type ChatDeps, runChat } from "../../chat/pipeline.ts";
import { type ChatRequest, chatRequestSchema, describeIssues } from "../../chat/schema.ts";
import { ProviderError } from "../../providers/errors.ts";
import { parseJsonBody } from "../body.ts";
import { context } from "../context.ts";
import { GatewayError, sendError } from "../errors.ts";
import { BufferedSink, StreamingSink } from "../sinks.ts";

export interface ChatRouteOptions {
  deps: ChatDeps;
  /** Chats in progress; shutdown waits for them to settle their ledger rows. */
  inflight: Set<Promise<void>>;
  streaming: boolean;
  maxInputChars: number;
  keepAliveMs: number;
}

/** POST /v1/chat: streaming by default, buffered with "stream": false or when streaming is off. */
export function chatRoute(options: ChatRouteOptions) {
  const schema = chatRequestSchema({ maxInputChars: options.maxInputChars });

  return async (req: Request, res: Response): Promise<void> => {
    const { requestId, siteId, receivedAt } = context(res);
    let request: ChatRequest;
    try {
      request = parseJsonBody(req, schema, (error) => describeIssues(error));
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      sendError(res, error.status, error.code, error.message, requestId);
      return;
    }

    const abort = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) abort.abort(new Error("the client went away"));
    });
    const streamed = options.streaming && request.stream !== false;
    const sink = streamed ? new StreamingSink(res, options.keepAliveMs) : new BufferedSink();
    const input = { requestId, siteId, request, streamed, signal: abort.signal, receivedAt };
    const chat = runChat(options.deps, input, sink);
    const settled = chat.then(
      () => undefined,
      () => undefined,
    );
    options.inflight.add(settled);
    void settled.then(() => options.inflight.delete(settled));
    try {
      await chat;
    } catch (error) {
      if (abort.signal.aborted) return;
      if (error instanceof GatewayError) {
        sendError(
          res,
          error.status,
          error.code,
          error.message,
          requestId,
          error.headers,
          error.details,
        );
      } else if (error instanceof ProviderError) {
        const headers: Record<string, string> =
          error.retryAfterMs === undefined
            ? {}
            : { "Retry-After": String(Math.ceil(error.retryAfterMs / 1000)) };
        sendError(res, error.httpStatus, error.code, error.message, requestId, headers);
      } else {
        throw error;
      }
      return;
    }
    if (sink instanceof BufferedSink && !res.headersSent) {
      if (sink.error) {
        sendError(res, 502, sink.error.code, sink.error.message, requestId);
      } else {
        res.status(200).json(sink.answer);
      }
    }
  };
}
