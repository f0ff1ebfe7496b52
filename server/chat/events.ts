import type { ErrorEvent, UsageFinalEvent, UsageStartEvent } from "../../contract/events.ts";

/**
 * Receives a chat as it happens: a streaming response or a buffered one. The
 * events are wire format v1's, as contract/events.ts declares them.
 */
export interface ChatSink {
  start(event: UsageStartEvent): Promise<void> | void;
  content(text: string, provider: string): Promise<void> | void;
  fail(event: ErrorEvent): Promise<void> | void;
  finish(event: UsageFinalEvent): Promise<void> | void;
}
