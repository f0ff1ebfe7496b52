import type { Readable } from "node:stream";
import { createParser } from "eventsource-parser";

export interface SseHandlers {
  /** One event's data, in order. A throw stops the reading and goes to onError. */
  onEvent(data: string, event: string | undefined): void;
  /** The stream ended cleanly, after its last event. */
  onEnd(): void;
  /** The stream broke (reset, cut, destroyed), or onEvent threw. Called at most once. */
  onError(error: unknown): void;
}

/**
 * Reads Server-Sent Events from a byte stream, push style: each event is
 * handed over in the same tick as the bytes that complete it. UTF-8 is
 * decoded across chunk boundaries; comments (`: keep-alive`) are skipped; an
 * event left without its blank line when the stream ends is still delivered.
 * Exactly one of onEnd and onError is called, once.
 */
export function readSse(stream: Readable, handlers: SseHandlers): void {
  let over = false;
  const finish = (error?: unknown) => {
    if (over) return;
    over = true;
    if (error === undefined) handlers.onEnd();
    else handlers.onError(error);
  };
  const parser = createParser({
    onEvent: (message) => {
      if (!over) handlers.onEvent(message.data, message.event);
    },
  });
  const feed = (text: string) => {
    try {
      parser.feed(text);
    } catch (error) {
      finish(error);
      stream.destroy();
    }
  };

  stream.setEncoding("utf8");
  stream.on("data", feed);
  stream.once("end", () => {
    try {
      // Ends a last event that came without its blank line (or whose final
      // CR the parser keeps, in case an LF follows): the answer is over.
      parser.feed("\n\n");
    } catch (error) {
      finish(error);
      return;
    }
    finish();
  });
  stream.once("error", (error) => finish(error));
  // A stream destroyed without an error (the request was torn down) ends here.
  stream.once("close", () => finish(new Error("the connection closed before the answer ended")));
}
