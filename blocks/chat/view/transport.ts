import type { ErrorCode } from "../../../contract/error-codes";
import { looksBuffered, ReadLog } from "./buffering";
import { type ChatFailure, classifyHttpFailure, classifyStreamError } from "./errors";
import type { HistoryMessage } from "./history";
import { createWireDecoder } from "./sse";
import { type TokenSource, TurnstileError } from "./turnstile";
import { parseBufferedAnswer, type UsageFinalEvent, type UsageStartEvent } from "./wire";

export interface ChatRequest {
  restUrl: string;
  postId: number;
  blockId: string;
  messages: HistoryMessage[];
  /** false asks for one buffered JSON answer. */
  stream: boolean;
  nonce?: string;
  /**
   * While the site has Turnstile on: where each request to WordPress gets its own token
   * (`turnstile_token`; tokens are single-use). Without it the body has no token field.
   */
  turnstileToken?: TokenSource;
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

export const defaultDeps = (): TransportDeps => ({
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

export function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (error instanceof DOMException && error.name === "AbortError");
}

export async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

/**
 * What a request that never reached an answer comes to: stopped (the visitor's Stop),
 * the Turnstile check's own failure (nothing was sent), or WordPress out of reach.
 */
export function unsentOutcome(error: unknown, signal: AbortSignal): ChatOutcome {
  if (isAbort(error, signal)) return { status: "stopped" };
  if (error instanceof TurnstileError) return { status: "failed", failure: error.failure };
  return { status: "failed", failure: { kind: "unavailable" } };
}

/**
 * The chat route's body (the ticket route's too): the post, the block, the conversation,
 * whether to stream, and the Turnstile token when there is one.
 */
export function chatRouteBody(request: ChatRequest, turnstileToken?: string): string {
  return JSON.stringify({
    post_id: request.postId,
    block_id: request.blockId,
    messages: request.messages,
    stream: request.stream,
    ...(turnstileToken ? { turnstile_token: turnstileToken } : {}),
  });
}

export interface WordPressAnswer {
  response: Response;
  /** The nonce was refused (403 rest_cookie_invalid_nonce); the request went again without it. */
  nonceRejected: boolean;
}

/**
 * POSTs a chat request to one of the plugin's routes (the chat route, the ticket route)
 * with the visitor's cookies, with the nonce of a logged-in user (a refused nonce is
 * retried once without it, as a visitor), and with a new Turnstile token while the site
 * has it on. Throws what fetch throws, and what the token source throws (TurnstileError,
 * or an AbortError).
 */
export async function postToWordPress(
  url: string,
  request: ChatRequest,
  accept: string,
  signal: AbortSignal,
  deps: TransportDeps,
): Promise<WordPressAnswer> {
  // One token per request. The retry without a refused nonce sends the same one: WordPress
  // refuses the nonce before the route runs, so the token was never checked (nor spent).
  const token = request.turnstileToken ? await request.turnstileToken(signal) : undefined;
  const body = chatRouteBody(request, token);
  const send = (withNonce: boolean) => {
    const headers: Record<string, string> = { "Content-Type": "application/json", Accept: accept };
    if (withNonce && request.nonce) headers["X-WP-Nonce"] = request.nonce;
    return deps.fetch(url, {
      method: "POST",
      headers,
      credentials: "same-origin",
      cache: "no-store",
      signal,
      body,
    });
  };
  const response = await send(true);
  if (response.status === 403 && request.nonce) {
    const body = await readJson(response.clone());
    if ((body as { code?: unknown } | undefined)?.code === NONCE_REFUSED) {
      return { response: await send(false), nonceRejected: true };
    }
  }
  return { response, nonceRejected: false };
}

/**
 * Asks the chat route for an answer (relay mode) and feeds its text to
 * `handlers.onDelta` as it arrives. Never throws: every end is an outcome. Aborting
 * `signal` stops it (the text delivered so far stays with the caller).
 */
export async function requestAnswer(
  request: ChatRequest,
  handlers: ChatHandlers,
  signal: AbortSignal,
  deps: TransportDeps = defaultDeps(),
): Promise<ChatResult> {
  let answer: WordPressAnswer;
  try {
    const accept = request.stream ? "text/event-stream, application/json" : "application/json";
    answer = await postToWordPress(request.restUrl, request, accept, signal, deps);
  } catch (error) {
    return { outcome: unsentOutcome(error, signal), nonceRejected: false };
  }
  return {
    outcome: await readAnswer(answer.response, handlers, signal, deps),
    nonceRejected: answer.nonceRejected,
  };
}

/**
 * The outcome of an answer, from the chat route or from the gateway itself: a refusal
 * (classified from its JSON), a stream read to its end, or a buffered JSON answer.
 */
export async function readAnswer(
  response: Response,
  handlers: ChatHandlers,
  signal: AbortSignal,
  deps: TransportDeps,
): Promise<ChatOutcome> {
  if (!response.ok) {
    const body = await readJson(response);
    const failure = classifyHttpFailure(response.status, body, response.headers.get("Retry-After"));
    return { status: "failed", failure };
  }
  const type = response.headers.get("Content-Type") ?? "";
  try {
    if (type.includes("text/event-stream"))
      return await readStream(response, handlers, signal, deps);
    if (type.includes("json")) {
      const answer = parseBufferedAnswer(await response.json());
      if (!answer) return { status: "failed", failure: { kind: "unreadable" } };
      handlers.onDelta(answer.content);
      const usage = answer.usage ? { type: "usage_final" as const, ...answer.usage } : undefined;
      return { status: "complete", hostBuffers: false, ...(usage ? { usage } : {}) };
    }
    return { status: "failed", failure: { kind: "unreadable" } };
  } catch (error) {
    if (isAbort(error, signal)) return { status: "stopped" };
    return { status: "failed", failure: { kind: "interrupted" } };
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
