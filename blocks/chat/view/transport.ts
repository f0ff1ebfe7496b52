import type { ErrorCode } from "../../../contract/error-codes";
import { looksBuffered, ReadLog } from "./buffering";
import { type ChatFailure, classifyHttpFailure, classifyStreamError } from "./errors";
import type { HistoryMessage } from "./history";
import { createWireDecoder } from "./sse";
import { parseBufferedAnswer, type UsageFinalEvent, type UsageStartEvent } from "./wire";

export interface ChatRequest {
  restUrl: string;
  postId: number;
  blockId: string;
  messages: HistoryMessage[];
  /** false asks for one buffered JSON answer. */
  stream: boolean;
  nonce?: string;
}

export interface ChatHandlers {
  onDelta(text: string): void;
  onStart?(event: UsageStartEvent): void;
}

export type ChatOutcome =
  | {
      status: "complete";
      usage?: UsageFinalEvent;
      /** The answer was streamed, but the host delivered it in one piece at the end. */
      hostBuffers: boolean;
    }
  | { status: "stopped" }
  | { status: "failed"; failure: ChatFailure };

export interface ChatResult {
  outcome: ChatOutcome;
  /** The nonce was refused (403 rest_cookie_invalid_nonce); the request went again without it. */
  nonceRejected: boolean;
}

export interface TransportDeps {
  fetch: typeof fetch;
  /** A monotonic clock in ms (performance.now in the browser). */
  now: () => number;
}

/** WordPress's refusal of a stale or bad X-WP-Nonce: the request goes again as a visitor. */
const NONCE_REFUSED: ErrorCode = "rest_cookie_invalid_nonce";

const defaultDeps = (): TransportDeps => ({
  fetch: (input, init) => globalThis.fetch(input, init),
  now: () => performance.now(),
});

/** Whether this browser can read a response body as it arrives. */
export function canStream(scope: typeof globalThis = globalThis): boolean {
  return (
    typeof scope.ReadableStream === "function" &&
    typeof scope.TextDecoder === "function" &&
    typeof scope.Response === "function" &&
    "body" in scope.Response.prototype &&
    typeof scope.ReadableStream.prototype.getReader === "function"
  );
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (error instanceof DOMException && error.name === "AbortError");
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

function post(request: ChatRequest, withNonce: boolean, signal: AbortSignal, deps: TransportDeps) {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    Accept: request.stream ? "text/event-stream, application/json" : "application/json",
  };
  if (withNonce && request.nonce) headers["X-WP-Nonce"] = request.nonce;
  return deps.fetch(request.restUrl, {
    method: "POST",
    headers,
    credentials: "same-origin",
    cache: "no-store",
    signal,
    body: JSON.stringify({
      post_id: request.postId,
      block_id: request.blockId,
      messages: request.messages,
      stream: request.stream,
    }),
  });
}

/**
 * Asks the chat route for an answer and feeds its text to `handlers.onDelta` as it
 * arrives. Never throws: every end is an outcome. Aborting `signal` stops it (the text
 * delivered so far stays with the caller).
 */
export async function requestAnswer(
  request: ChatRequest,
  handlers: ChatHandlers,
  signal: AbortSignal,
  deps: TransportDeps = defaultDeps(),
): Promise<ChatResult> {
  let nonceRejected = false;
  let response: Response;
  try {
    response = await post(request, true, signal, deps);
    if (response.status === 403 && request.nonce) {
      const body = await readJson(response.clone());
      const code = (body as { code?: unknown } | undefined)?.code;
      if (code === NONCE_REFUSED) {
        nonceRejected = true;
        response = await post(request, false, signal, deps);
      }
    }
  } catch (error) {
    if (isAbort(error, signal)) return { outcome: { status: "stopped" }, nonceRejected };
    return { outcome: { status: "failed", failure: { kind: "unavailable" } }, nonceRejected };
  }

  if (!response.ok) {
    const body = await readJson(response);
    const failure = classifyHttpFailure(response.status, body, response.headers.get("Retry-After"));
    return { outcome: { status: "failed", failure }, nonceRejected };
  }

  const type = response.headers.get("Content-Type") ?? "";
  try {
    if (type.includes("text/event-stream")) {
      return { outcome: await readStream(response, handlers, signal, deps), nonceRejected };
    }
    if (type.includes("json")) {
      const answer = parseBufferedAnswer(await response.json());
      if (!answer)
        return { outcome: { status: "failed", failure: { kind: "unreadable" } }, nonceRejected };
      handlers.onDelta(answer.content);
      const usage = answer.usage ? { type: "usage_final" as const, ...answer.usage } : undefined;
      return {
        outcome: { status: "complete", hostBuffers: false, ...(usage ? { usage } : {}) },
        nonceRejected,
      };
    }
    return { outcome: { status: "failed", failure: { kind: "unreadable" } }, nonceRejected };
  } catch (error) {
    if (isAbort(error, signal)) return { outcome: { status: "stopped" }, nonceRejected };
    return { outcome: { status: "failed", failure: { kind: "interrupted" } }, nonceRejected };
  }
}

/** Reads a wire-format-v1 stream to its end, keeping a log of reads for the buffering check. */
async function readStream(
  response: Response,
  handlers: ChatHandlers,
  signal: AbortSignal,
  deps: TransportDeps,
): Promise<ChatOutcome> {
  const decoder = createWireDecoder();
  const log = new ReadLog();
  let failure: ChatFailure | undefined;
  let final: UsageFinalEvent | undefined;
  let done = false;

  const handle = (events: ReturnType<typeof decoder.feed>): number => {
    let deltas = 0;
    for (const event of events) {
      switch (event.type) {
        case "usage_start":
          handlers.onStart?.(event);
          break;
        case "content":
          deltas++;
          handlers.onDelta(event.data);
          break;
        case "error":
          failure ??= classifyStreamError(event.code);
          break;
        case "usage_final":
          final = event;
          break;
        case "done":
          done = true;
          break;
        case "malformed":
          failure ??= { kind: "unreadable" };
          break;
      }
    }
    return deltas;
  };

  if (!response.body) {
    // No readable body in this browser: the whole answer comes at once.
    handle([...decoder.feed(new Uint8Array(await response.arrayBuffer())), ...decoder.end()]);
  } else {
    const reader = response.body.getReader();
    try {
      while (!done && failure?.kind !== "unreadable") {
        const { value, done: ended } = await reader.read();
        // Nothing more reaches the page once the visitor pressed Stop.
        if (ended || signal.aborted) break;
        log.record(deps.now(), handle(decoder.feed(value)));
      }
      if (!done && !signal.aborted) handle(decoder.end());
    } finally {
      if (done || failure || signal.aborted) reader.cancel().catch(() => {});
    }
  }
  if (signal.aborted) return { status: "stopped" };
  if (failure) return { status: "failed", failure };
  if (!final && !done) return { status: "failed", failure: { kind: "interrupted" } };
  return {
    status: "complete",
    hostBuffers: looksBuffered(log.reads, final),
    ...(final ? { usage: final } : {}),
  };
}
