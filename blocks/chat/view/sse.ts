import { createParser } from "eventsource-parser";
import { parseWireData, type WireEvent } from "./wire";

/** Largest partial frame held while waiting for its end (a frame is a few hundred bytes). */
const MAX_BUFFERED_CHARS = 1_000_000;

/**
 * Decodes the bytes of a wire-format-v1 stream into events, one network read at a time.
 * `feed` returns the events completed by that chunk, so a caller can tell how many
 * content deltas each read carried. Bytes are decoded as UTF-8 across chunk boundaries
 * (a character split between two reads comes out whole); comments are skipped.
 */
export interface WireDecoder {
  feed(chunk: Uint8Array): WireEvent[];
  /**
   * Ends the stream and returns the last events. As the SSE spec says, a frame cut off
   * before its blank line is discarded, not dispatched.
   */
  end(): WireEvent[];
}

export function createWireDecoder(): WireDecoder {
  const text = new TextDecoder("utf-8");
  let completed: WireEvent[] = [];
  let lastChar = "";
  const parser = createParser({
    maxBufferSize: MAX_BUFFERED_CHARS,
    onEvent(message) {
      const event = parseWireData(message.data);
      if (event) completed.push(event);
    },
    onError(error) {
      if (error.type === "max-buffer-size-exceeded") {
        completed.push({ type: "malformed", raw: error.message });
      }
    },
  });
  const take = (): WireEvent[] => {
    const events = completed;
    completed = [];
    return events;
  };
  return {
    feed(chunk) {
      try {
        const decoded = text.decode(chunk, { stream: true });
        if (decoded) lastChar = decoded[decoded.length - 1] ?? "";
        parser.feed(decoded);
      } catch (error) {
        // A parser that gave up (an oversized frame) refuses further input.
        completed.push({ type: "malformed", raw: String(error) });
      }
      return take();
    },
    end() {
      const rest = text.decode();
      if (rest) lastChar = rest[rest.length - 1] ?? "";
      // A CR at the very end is a line end: the parser holds it back in case an LF follows.
      const feed = lastChar === "\r" ? `${rest}\n` : rest;
      try {
        if (feed) parser.feed(feed);
      } catch {
        // The parser already gave up (reported as malformed).
      }
      parser.reset();
      return take();
    },
  };
}
