import { describe, expect, test } from "vitest";
import { createWireDecoder } from "../view/sse";
import type { WireEvent } from "../view/wire";

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

const STREAM = [
  "event: usage_start\n",
  'data: {"type":"usage_start","request_id":"req_1","provider":"demo","model":"sluice-demo","input_tokens":5}\n\n',
  'data: {"type":"content","data":"Hello ","provider":"demo"}\n\n',
  'data: {"type":"content","data":"wörld 👋","provider":"demo"}\n\n',
  "event: usage_final\n",
  'data: {"type":"usage_final","request_id":"req_1","output_tokens":3,"cost_usd":1e-7,"latency_ms":900,"ttfc_ms":100}\n\n',
  "data: [DONE]\n\n",
].join("");

function decodeInPieces(pieces: Uint8Array[]): WireEvent[] {
  const decoder = createWireDecoder();
  const events = pieces.flatMap((piece) => decoder.feed(piece));
  return [...events, ...decoder.end()];
}

function content(events: WireEvent[]): string {
  return events.map((event) => (event.type === "content" ? event.data : "")).join("");
}

describe("createWireDecoder", () => {
  test("decodes a whole stream in one chunk", () => {
    const events = decodeInPieces([bytes(STREAM)]);
    expect(events.map((event) => event.type)).toEqual([
      "usage_start",
      "content",
      "content",
      "usage_final",
      "done",
    ]);
    expect(content(events)).toBe("Hello wörld 👋");
  });

  test("gives the same events whatever the chunk boundaries, even one byte at a time", () => {
    const all = bytes(STREAM);
    const whole = decodeInPieces([all]);
    const single = decodeInPieces([...all].map((byte) => Uint8Array.of(byte)));
    expect(single).toEqual(whole);
    for (const size of [2, 3, 7, 13, 64]) {
      const pieces: Uint8Array[] = [];
      for (let start = 0; start < all.length; start += size)
        pieces.push(all.slice(start, start + size));
      expect(decodeInPieces(pieces)).toEqual(whole);
    }
  });

  test("joins a multi-byte character split across two reads", () => {
    const frame = bytes('data: {"type":"content","data":"é😀"}\n\n');
    const emojiStart = frame.indexOf(0xf0);
    // Cut inside the 2-byte "é" and inside the 4-byte emoji.
    const eAt = frame.indexOf(0xc3);
    const pieces = [
      frame.slice(0, eAt + 1),
      frame.slice(eAt + 1, emojiStart + 2),
      frame.slice(emojiStart + 2),
    ];
    const decoder = createWireDecoder();
    expect(decoder.feed(pieces[0] as Uint8Array)).toEqual([]);
    expect(decoder.feed(pieces[1] as Uint8Array)).toEqual([]);
    expect(decoder.feed(pieces[2] as Uint8Array)).toEqual([{ type: "content", data: "é😀" }]);
  });

  test("returns from each read only the events that read completed", () => {
    const decoder = createWireDecoder();
    expect(
      decoder.feed(bytes('data: {"type":"content","data":"a"}\n\ndata: {"type":"con')),
    ).toEqual([{ type: "content", data: "a" }]);
    expect(decoder.feed(bytes('tent","data":"b"}\n'))).toEqual([]);
    expect(decoder.feed(bytes("\n"))).toEqual([{ type: "content", data: "b" }]);
  });

  test("ignores comments and keep-alives", () => {
    const events = decodeInPieces([
      bytes(': keep-alive\n\ndata: {"type":"content","data":"x"}\n\n: another\n\n'),
    ]);
    expect(events).toEqual([{ type: "content", data: "x" }]);
  });

  test("accepts CRLF and CR line endings", () => {
    const events = decodeInPieces([
      bytes(
        'data: {"type":"content","data":"crlf"}\r\n\r\ndata: {"type":"content","data":"cr"}\r\r',
      ),
    ]);
    expect(content(events)).toBe("crlfcr");
  });

  test("keeps an error frame, then usage_final and [DONE] after it", () => {
    const events = decodeInPieces([
      bytes('data: {"type":"content","data":"partial"}\n\n'),
      bytes(
        'event: error\ndata: {"type":"error","code":"provider_stream_error","message":"upstream cut"}\n\n',
      ),
      bytes(
        'event: usage_final\ndata: {"type":"usage_final","output_tokens":1,"finish_reason":"error"}\n\n',
      ),
      bytes("data: [DONE]\n\n"),
    ]);
    expect(events.map((event) => event.type)).toEqual(["content", "error", "usage_final", "done"]);
    expect(events[1]).toEqual({
      type: "error",
      code: "provider_stream_error",
      message: "upstream cut",
    });
  });

  test("reports data that is not JSON as malformed instead of dropping it", () => {
    const events = decodeInPieces([bytes("data: <html>oops</html>\n\n")]);
    expect(events).toEqual([{ type: "malformed", raw: "<html>oops</html>" }]);
  });

  test("skips event types it does not know", () => {
    const events = decodeInPieces([
      bytes('data: {"type":"future_thing","x":1}\n\ndata: {"type":"content","data":"y"}\n\n'),
    ]);
    expect(events).toEqual([{ type: "content", data: "y" }]);
  });

  test("discards a last frame cut off before its blank line (as the SSE spec says)", () => {
    const decoder = createWireDecoder();
    expect(decoder.feed(bytes('data: {"type":"content","data":"tail"}\n'))).toEqual([]);
    expect(decoder.end()).toEqual([]);
  });
});
