import type { ServerResponse } from "node:http";
import type { ChatSink, ErrorEvent, UsageFinalEvent, UsageStartEvent } from "../chat/events.ts";
import { SseWriter } from "./sse.ts";

/** Streams a chat as wire format v1: usage_start, content…, [error], usage_final, [DONE]. */
export class StreamingSink implements ChatSink {
  readonly #response: ServerResponse;
  readonly #keepAliveMs: number;
  #writer: SseWriter | undefined;

  constructor(response: ServerResponse, keepAliveMs: number) {
    this.#response = response;
    this.#keepAliveMs = keepAliveMs;
  }

  start(event: UsageStartEvent): void {
    this.#writer = new SseWriter(this.#response, this.#keepAliveMs, {
      "X-Request-Id": event.request_id,
    });
    // Held: the first content is usually already in, and leaves with it.
    this.#writer.hold(JSON.stringify(event), "usage_start");
  }

  content(text: string, provider: string): Promise<void> | undefined {
    return this.#send(JSON.stringify({ type: "content", data: text, provider }));
  }

  fail(event: ErrorEvent): Promise<void> | undefined {
    return this.#send(JSON.stringify(event), "error");
  }

  finish(event: UsageFinalEvent): void {
    if (!this.#writer) throw new Error("the stream has not started");
    this.#writer.end([{ data: JSON.stringify(event), event: "usage_final" }, { data: "[DONE]" }]);
  }

  #send(data: string, event?: string): Promise<void> | undefined {
    if (!this.#writer) throw new Error("the stream has not started");
    return this.#writer.send(data, event);
  }
}

export interface BufferedAnswer {
  request_id: string;
  provider: string;
  model: string;
  content: string;
  finish_reason: string | null;
  usage: Omit<UsageFinalEvent, "type" | "request_id" | "provider" | "model">;
}

/** Collects a chat into the one JSON object of buffered mode. */
export class BufferedSink implements ChatSink {
  readonly #parts: string[] = [];
  error: ErrorEvent | undefined;
  answer: BufferedAnswer | undefined;

  start(): void {}

  content(text: string): void {
    this.#parts.push(text);
  }

  fail(event: ErrorEvent): void {
    this.error = event;
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
