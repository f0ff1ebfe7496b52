import type { ServerResponse } from "node:http";
import {
  type BufferedAnswer,
  type ContentEvent,
  DONE_DATA,
  type ErrorEvent,
  type UsageFinalEvent,
  type UsageStartEvent,
} from "../../contract/events.ts";
import type { ChatSink } from "../chat/events.ts";
import { publicMessage } from "./public-errors.ts";
import { SseWriter } from "./sse.ts";

/** Receives a failure as the pipeline described it (the provider's text): for the gateway log. */
export type FailureLog = (failure: ErrorEvent) => void;

/** The failure as the client sees it: its code, and the fixed message for that code. */
function toPublic(failure: ErrorEvent, log: FailureLog): ErrorEvent {
  log(failure);
  return { type: "error", code: failure.code, message: publicMessage(failure.code) };
}

/**
 * Streams a chat as wire format v1: usage_start, content…, [error], usage_final, [DONE].
 * An error frame carries a fixed message per code; the pipeline's text goes to `log`.
 */
export class StreamingSink implements ChatSink {
  readonly #response: ServerResponse;
  readonly #keepAliveMs: number;
  readonly #log: FailureLog;
  #writer: SseWriter | undefined;

  constructor(response: ServerResponse, keepAliveMs: number, log: FailureLog) {
    this.#response = response;
    this.#keepAliveMs = keepAliveMs;
    this.#log = log;
  }

  start(event: UsageStartEvent): void {
    this.#writer = new SseWriter(this.#response, this.#keepAliveMs, {
      "X-Request-Id": event.request_id,
    });
    // Held: the first content is usually already in, and leaves with it.
    this.#writer.hold(JSON.stringify(event), "usage_start");
  }

  content(text: string, provider: string): Promise<void> | undefined {
    const event: ContentEvent = { type: "content", data: text, provider };
    return this.#send(JSON.stringify(event));
  }

  fail(event: ErrorEvent): Promise<void> | undefined {
    return this.#send(JSON.stringify(toPublic(event, this.#log)), "error");
  }

  finish(event: UsageFinalEvent): void {
    if (!this.#writer) throw new Error("the stream has not started");
    this.#writer.end([{ data: JSON.stringify(event), event: "usage_final" }, { data: DONE_DATA }]);
  }

  #send(data: string, event?: string): Promise<void> | undefined {
    if (!this.#writer) throw new Error("the stream has not started");
    return this.#writer.send(data, event);
  }
}

/** Collects a chat into the one JSON object of buffered mode; `error` is already the public one. */
export class BufferedSink implements ChatSink {
  readonly #parts: string[] = [];
  readonly #log: FailureLog;
  error: ErrorEvent | undefined;
  answer: BufferedAnswer | undefined;

  constructor(log: FailureLog) {
    this.#log = log;
  }

  start(): void {}

  content(text: string): void {
    this.#parts.push(text);
  }

  fail(event: ErrorEvent): void {
    this.error = toPublic(event, this.#log);
  }

  finish(event: UsageFinalEvent): void {
    const { type: _type, request_id, provider, model, ...usage } = event;
    this.answer = {
      request_id,
      provider,
      model,
      content: this.#parts.join(""),
      finish_reason: event.finish_reason,
      usage,
    };
  }
}
