import { describe, expect, it } from "vitest";
import { ProviderStreamError } from "../../../server/providers/errors.ts";
import { openaiProfile } from "../../../server/providers/openai/index.ts";
import { readCompatibleStream } from "../../../server/providers/openai-compatible/stream.ts";
import type { ProviderEvent } from "../../../server/providers/types.ts";
import { deferred, within } from "./local-server.ts";

function frame(data: unknown, event?: string): string {
  const line = `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
  return event === undefined ? line : `event: ${event}\n${line}`;
}

function chunk(content: string | undefined, finish: string | null = null): unknown {
  return {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finish }],
  };
}

const USAGE_CHUNK = {
  id: "chatcmpl-1",
  choices: [],
  usage: {
    prompt_tokens: 9,
    completion_tokens: 3,
    total_tokens: 12,
    prompt_tokens_details: { cached_tokens: 4 },
    completion_tokens_details: { reasoning_tokens: 1 },
  },
};

function read(response: Response, signal = new AbortController().signal) {
  return readCompatibleStream(response, {
    profile: openaiProfile,
    signal,
    upstreamRequestId: "req-9",
  });
}

/** Every event until the end, and what the iterator threw. */
async function collect(
  events: AsyncIterable<ProviderEvent>,
): Promise<{ events: ProviderEvent[]; error: unknown }> {
  const seen: ProviderEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
  } catch (error) {
    return { events: seen, error };
  }
  return { events: seen, error: undefined };
}

describe("readCompatibleStream over a plain Response (Readable.fromWeb)", () => {
  it("text deltas, then usage, then finish last", async () => {
    const body = [
      frame({
        id: "chatcmpl-1",
        choices: [{ index: 0, delta: { role: "assistant", content: "" } }],
      }),
      frame(chunk("Hel")),
      ": keep-alive\n\n",
      frame(chunk("lo ✓ 日本")),
      frame(chunk(undefined, "stop")),
      frame(USAGE_CHUNK),
      frame("[DONE]"),
    ].join("");
    const result = await collect(read(new Response(body)));
    expect(result.error).toBeUndefined();
    expect(result.events).toEqual([
      { type: "text-delta", text: "Hel" },
      { type: "text-delta", text: "lo ✓ 日本" },
      {
        type: "usage",
        usage: {
          inputTokens: 9,
          outputTokens: 3,
          cacheReadTokens: 4,
          cacheWriteTokens: 0,
          reasoningTokens: 1,
        },
      },
      { type: "finish", reason: "stop", rawReason: "stop" },
    ]);
  });

  it("an `event: error` frame ends it with a ProviderStreamError, after the text before it", async () => {
    const body = [frame(chunk("partial")), frame({ message: "overloaded" }, "error")].join("");
    const result = await collect(read(new Response(body)));
    expect(result.events).toEqual([{ type: "text-delta", text: "partial" }]);
    expect(result.error).toBeInstanceOf(ProviderStreamError);
    expect((result.error as Error).message).toContain("error in stream: overloaded");
    expect(result.error).toMatchObject({ provider: "openai", upstreamRequestId: "req-9" });
  });

  it('a `{"error": {"message": …}}` chunk ends it with a ProviderStreamError', async () => {
    const body = [frame(chunk("a")), frame({ error: { message: "x" } }), frame(chunk("b"))].join(
      "",
    );
    const result = await collect(read(new Response(body)));
    expect(result.events).toEqual([{ type: "text-delta", text: "a" }]);
    expect(result.error).toBeInstanceOf(ProviderStreamError);
    expect((result.error as Error).message).toContain("error in stream: x");
  });

  it("a body that ends without a finish reason is a ProviderStreamError", async () => {
    const result = await collect(read(new Response(frame(chunk("cut here")))));
    expect(result.events).toEqual([{ type: "text-delta", text: "cut here" }]);
    expect(result.error).toBeInstanceOf(ProviderStreamError);
    expect((result.error as Error).message).toContain("stream ended before the provider finished");
  });

  it("the finish chunk as the very last bytes, without its blank line, still completes", async () => {
    // readSse promises to deliver an event left without its blank line at the end.
    const body = `${frame(chunk("done"))}data: ${JSON.stringify(chunk(undefined, "length"))}`;
    const result = await collect(read(new Response(body)));
    expect(result.error).toBeUndefined();
    expect(result.events).toEqual([
      { type: "text-delta", text: "done" },
      { type: "finish", reason: "length", rawReason: "length" },
    ]);
  });

  it("breaking out of the loop early is fine, and cancels the body", async () => {
    const cancelled = deferred<unknown>();
    const encoder = new TextEncoder();
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(frame(chunk("first"))));
        controller.enqueue(encoder.encode(frame(chunk("second"))));
        // Never closes: only the cancel ends it.
      },
      cancel(reason) {
        cancelled.resolve(reason);
      },
    });
    const seen: ProviderEvent[] = [];
    for await (const event of read(new Response(source))) {
      seen.push(event);
      break;
    }
    expect(seen).toEqual([{ type: "text-delta", text: "first" }]);
    await within(cancelled.promise, 2_000, "the body's cancel");
  });

  it("an already aborted signal rejects with an AbortError", async () => {
    const controller = new AbortController();
    controller.abort();
    const events = read(new Response(frame(chunk("never"))), controller.signal);
    const error = await events.next().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("AbortError");
  });

  it("an abort mid-stream rejects with an AbortError and cancels the body", async () => {
    const cancelled = deferred<unknown>();
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(frame(chunk("only"))));
      },
      cancel(reason) {
        cancelled.resolve(reason);
      },
    });
    const controller = new AbortController();
    const seen: ProviderEvent[] = [];
    let thrown: unknown;
    try {
      for await (const event of read(new Response(source), controller.signal)) {
        seen.push(event);
        controller.abort();
      }
    } catch (error) {
      thrown = error;
    }
    expect(seen).toEqual([{ type: "text-delta", text: "only" }]);
    expect((thrown as Error).name).toBe("AbortError");
    await within(cancelled.promise, 2_000, "the body's cancel");
  });
});
