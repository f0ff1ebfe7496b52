import { describe, expect, test } from "vitest";
import {
  type ChatHandlers,
  type ChatRequest,
  type ChatResult,
  canStream,
  requestAnswer,
  type TransportDeps,
} from "../view/transport";

const encoder = new TextEncoder();

const frame = (payload: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(payload)}\n\n`;

const usageFinal = (timing = { latency_ms: 2000, ttfc_ms: 300 }) =>
  frame(
    { type: "usage_final", request_id: "req_1", output_tokens: 4, cost_usd: 1e-6, ...timing },
    "usage_final",
  );

const request: ChatRequest = {
  restUrl: "https://example.com/wp-json/sluice/v1/chat",
  postId: 7,
  blockId: "abcdefghijkl",
  messages: [{ role: "user", content: "Hi" }],
  stream: true,
};

/** A fetch whose responses are scripted; each body chunk is delivered at a given clock time. */
class FakeHost {
  clock = 0;
  readonly calls: { url: string; init: RequestInit }[] = [];
  readonly responses: (() => Response)[] = [];

  deps(): TransportDeps {
    return {
      now: () => this.clock,
      fetch: async (url, init) => {
        this.calls.push({ url: String(url), init: init ?? {} });
        const next = this.responses.shift();
        if (!next) throw new TypeError("Failed to fetch");
        return next();
      },
    };
  }

  /** An SSE response whose chunks arrive at the given clock times. */
  stream(chunks: [atMs: number, text: string][], options: { signal?: AbortSignal } = {}): void {
    this.responses.push(() => {
      let index = 0;
      const body = new ReadableStream<Uint8Array>({
        pull: (controller) => {
          if (options.signal?.aborted) {
            controller.error(new DOMException("The operation was aborted.", "AbortError"));
            return;
          }
          const chunk = chunks[index++];
          if (!chunk) {
            controller.close();
            return;
          }
          this.clock = chunk[0];
          controller.enqueue(encoder.encode(chunk[1]));
        },
      });
      return new Response(body, {
        status: 200,
        headers: { "Content-Type": "text/event-stream; charset=utf-8" },
      });
    });
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.responses.push(
      () =>
        new Response(JSON.stringify(body), {
          status,
          headers: { "Content-Type": "application/json", ...headers },
        }),
    );
  }
}

function headersOf(host: FakeHost, index: number): Record<string, string> {
  return (host.calls[index]?.init.headers ?? {}) as Record<string, string>;
}

function collect() {
  const deltas: string[] = [];
  return { deltas, handlers: { onDelta: (text: string) => deltas.push(text) } };
}

/** requestAnswer against the scripted host, with a signal nobody aborts. */
function ask(
  host: FakeHost,
  chatRequest: ChatRequest = request,
  handlers: ChatHandlers = collect().handlers,
): Promise<ChatResult> {
  return requestAnswer(chatRequest, handlers, new AbortController().signal, host.deps());
}

describe("requestAnswer, streaming", () => {
  test("posts the contract's body and streams the deltas in order", async () => {
    const host = new FakeHost();
    host.stream([
      [100, frame({ type: "usage_start", provider: "demo", model: "sluice-demo" }, "usage_start")],
      [300, frame({ type: "content", data: "Hel" })],
      [500, frame({ type: "content", data: "lo" })],
      [2100, `${usageFinal()}data: [DONE]\n\n`],
    ]);
    const { deltas, handlers } = collect();
    const result = await ask(host, { ...request, nonce: "n0nce" }, handlers);
    expect(result.outcome).toMatchObject({
      status: "complete",
      hostBuffers: false,
      usage: { output_tokens: 4 },
    });
    expect(deltas.join("")).toBe("Hello");
    const call = host.calls[0];
    expect(call?.url).toBe(request.restUrl);
    expect(JSON.parse(String(call?.init.body))).toEqual({
      post_id: 7,
      block_id: "abcdefghijkl",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
    });
    expect(headersOf(host, 0)["X-WP-Nonce"]).toBe("n0nce");
  });

  test("detects a host that delivered a slowly generated answer in one piece", async () => {
    const host = new FakeHost();
    const body =
      frame({ type: "usage_start" }, "usage_start") +
      Array.from({ length: 30 }, (_, i) => frame({ type: "content", data: `w${i} ` })).join("") +
      usageFinal({ latency_ms: 3000, ttfc_ms: 400 }) +
      "data: [DONE]\n\n";
    host.stream([[3050, body]]);
    const { deltas, handlers } = collect();
    const result = await ask(host, request, handlers);
    expect(result.outcome).toMatchObject({ status: "complete", hostBuffers: true });
    expect(deltas).toHaveLength(30); // the visitor still gets the whole answer
  });

  test("an error frame, then usage_final: failed as interrupted, the partial text delivered", async () => {
    const host = new FakeHost();
    host.stream([
      [100, frame({ type: "content", data: "Partial" })],
      [200, frame({ type: "error", code: "provider_stream_error", message: "cut" }, "error")],
      [210, usageFinal()],
      [220, "data: [DONE]\n\n"],
    ]);
    const { deltas, handlers } = collect();
    const result = await ask(host, request, handlers);
    expect(result.outcome).toEqual({
      status: "failed",
      failure: { kind: "interrupted", code: "provider_stream_error" },
    });
    expect(deltas).toEqual(["Partial"]);
  });

  test("the plugin's own cut (error frame and [DONE], no usage_final) is interrupted", async () => {
    const host = new FakeHost();
    host.stream([
      [100, frame({ type: "content", data: "Par" })],
      [
        200,
        `event: error\n${frame({ type: "error", code: "gateway_stream_cut", message: "cut" })}data: [DONE]\n\n`,
      ],
    ]);
    const result = await ask(host);
    expect(result.outcome).toEqual({
      status: "failed",
      failure: { kind: "interrupted", code: "gateway_stream_cut" },
    });
  });

  test("a stream that stops without usage_final is interrupted", async () => {
    const host = new FakeHost();
    host.stream([[100, frame({ type: "content", data: "Half" })]]);
    const result = await ask(host);
    expect(result.outcome).toMatchObject({ status: "failed", failure: { kind: "interrupted" } });
  });

  test("aborting stops it quietly", async () => {
    const host = new FakeHost();
    const controller = new AbortController();
    host.stream(
      [
        [100, frame({ type: "content", data: "Some" })],
        [200, frame({ type: "content", data: " more" })],
      ],
      { signal: controller.signal },
    );
    const deltas: string[] = [];
    const result = await requestAnswer(
      request,
      {
        onDelta: (text) => {
          deltas.push(text);
          controller.abort();
        },
      },
      controller.signal,
      host.deps(),
    );
    expect(result.outcome).toEqual({ status: "stopped" });
    expect(deltas).toEqual(["Some"]);
  });
});

describe("requestAnswer, other answers", () => {
  test("a buffered JSON answer is delivered as one delta", async () => {
    const host = new FakeHost();
    host.json(200, {
      request_id: "r",
      content: "Whole answer",
      finish_reason: "stop",
      usage: { output_tokens: 2 },
    });
    const { deltas, handlers } = collect();
    const result = await ask(host, { ...request, stream: false }, handlers);
    expect(result.outcome).toMatchObject({
      status: "complete",
      hostBuffers: false,
      usage: { output_tokens: 2 },
    });
    expect(deltas).toEqual(["Whole answer"]);
    expect(JSON.parse(String(host.calls[0]?.init.body)).stream).toBe(false);
  });

  test("a refused nonce is retried once without it", async () => {
    const host = new FakeHost();
    host.json(403, {
      code: "rest_cookie_invalid_nonce",
      message: "Cookie check failed",
      data: { status: 403 },
    });
    host.stream([[10, `${frame({ type: "content", data: "ok" }) + usageFinal()}data: [DONE]\n\n`]]);
    const result = await ask(host, { ...request, nonce: "stale" });
    expect(result).toMatchObject({ nonceRejected: true, outcome: { status: "complete" } });
    expect(host.calls).toHaveLength(2);
    expect(headersOf(host, 1)["X-WP-Nonce"]).toBeUndefined();
  });

  test("other 403s are not retried", async () => {
    const host = new FakeHost();
    host.json(403, { code: "sluice_chat_off", message: "off", data: { status: 403 } });
    const result = await ask(host, { ...request, nonce: "n" });
    expect(result).toMatchObject({
      nonceRejected: false,
      outcome: { status: "failed", failure: { kind: "switched_off" } },
    });
    expect(host.calls).toHaveLength(1);
  });

  test("429 carries the wait", async () => {
    const host = new FakeHost();
    host.json(
      429,
      { code: "sluice_rate_limited", message: "slow down", data: { status: 429, retry_after: 20 } },
      {
        "Retry-After": "20",
      },
    );
    const result = await ask(host);
    expect(result.outcome).toEqual({
      status: "failed",
      failure: {
        kind: "rate_limited",
        status: 429,
        code: "sluice_rate_limited",
        retryAfterSeconds: 20,
      },
    });
  });

  test("a network failure is 'unavailable'", async () => {
    const host = new FakeHost();
    const result = await ask(host);
    expect(result.outcome).toEqual({ status: "failed", failure: { kind: "unavailable" } });
  });

  test("an HTML page instead of an answer is 'unreadable'", async () => {
    const host = new FakeHost();
    host.responses.push(
      () => new Response("<html>maintenance</html>", { headers: { "Content-Type": "text/html" } }),
    );
    const result = await ask(host);
    expect(result.outcome).toEqual({ status: "failed", failure: { kind: "unreadable" } });
  });
});

describe("canStream", () => {
  test("true here, false without ReadableStream or TextDecoder", () => {
    expect(canStream()).toBe(true);
    expect(
      canStream({ ...globalThis, ReadableStream: undefined } as unknown as typeof globalThis),
    ).toBe(false);
    expect(
      canStream({ ...globalThis, TextDecoder: undefined } as unknown as typeof globalThis),
    ).toBe(false);
  });
});
