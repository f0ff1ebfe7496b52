import type { Request, Response } from "express";
import { ERROR_CODES, isErrorCode } from "../../../contract/error-codes.ts";
import { type ChatDeps, runChat } from "../../chat/pipeline.ts";
import { type ChatRequest, chatRequestSchema, describeIssues } from "../../chat/schema.ts";
import type { Logger } from "../../logger.ts";
import { ProviderError } from "../../providers/errors.ts";
import { Refusal } from "../../refusal.ts";
import { parseJsonBody } from "../body.ts";
import { context } from "../context.ts";
import { GatewayError, sendError } from "../errors.ts";
import { publicMessage } from "../public-errors.ts";
import { sendRefusal } from "../refusals.ts";
import { BufferedSink, type FailureLog, StreamingSink } from "../sinks.ts";

export interface ChatRouteOptions {
  deps: ChatDeps;
  /** Chats in progress; shutdown waits for them to settle their ledger rows. */
  inflight: Set<Promise<void>>;
  streaming: boolean;
  maxInputChars: number;
  keepAliveMs: number;
  /** Gets the provider's own text of each failure, which the client never sees. */
  logger: Logger;
  /** Told of each refusal answered before the stream (for the audit log: budget_exhausted). */
  onRefused?: (siteId: string, refusal: Refusal) => void;
}

/**
 * POST /v1/chat: streaming by default, buffered with "stream": false or when
 * streaming is off. A provider failure reaches the client as its code and a
 * fixed message (public-errors.ts), in the envelope and in the error frame
 * alike; the provider's text is logged with the request id.
 */
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
    const logFailure: FailureLog = (failure) =>
      options.logger.warn(
        { requestId, siteId, code: failure.code, detail: failure.message },
        "chat failed after the provider call opened",
      );
    const sink = streamed
      ? new StreamingSink(res, options.keepAliveMs, logFailure)
      : new BufferedSink(logFailure);
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
      if (error instanceof Refusal) {
        sendRefusal(res, error, requestId);
        options.onRefused?.(siteId, error);
      } else if (error instanceof GatewayError) {
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
        options.logger.warn(
          {
            requestId,
            siteId,
            code: error.code,
            provider: error.provider,
            upstreamStatus: error.upstreamStatus,
            upstreamRequestId: error.upstreamRequestId,
            detail: error.message,
          },
          "chat failed before the provider call opened",
        );
        sendError(res, error.httpStatus, error.code, publicMessage(error.code), requestId, headers);
      } else {
        throw error;
      }
      return;
    }
    if (sink instanceof BufferedSink && !res.headersSent) {
      if (sink.error) {
        // The failure's own status (504 for a stall or the length limit), else 502.
        const { code } = sink.error;
        const status = (isErrorCode(code) ? ERROR_CODES[code].status : null) ?? 502;
        sendError(res, status, code, sink.error.message, requestId);
      } else {
        res.status(200).json(sink.answer);
      }
    }
  };
}
