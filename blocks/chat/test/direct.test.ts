import { describe, expect, test } from "vitest";
import {
  type DirectChatRequest,
  type DirectResult,
  requestDirectAnswer,
  sendToGateway,
  type TicketGrant,
} from "../view/direct";
import type { TransportDeps } from "../view/transport";

const encoder = new TextEncoder();

const frame = (payload: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(payload)}\n\n`;

const done = `${frame(
  { type: "usage_final", request_id: "req_1", output_tokens: 2, latency_ms: 900, ttfc_ms: 100 },
  "usage_final",
)}data: [DONE]\n\n`;

const TICKET_URL = "https://blog.example/wp-json/sluice/v1/ticket";
const CHAT_URL = "https://blog.example/wp-json/sluice/v1/chat";
const GATEWAY_URL = "https://gateway.example/v1/direct/chat";

const request: DirectChatRequest = {
  restUrl: CHAT_URL,
  ticketUrl: TICKET_URL,
  postId: 7,
  blockId: "abcdefghijkl",
  messages: [{ role: "user", content: "Hi" }],
  stream: true,
};

/** A grant as the ticket route gives it; `n` tells tickets apart. */
function grant(n = 1): TicketGrant {
  return {
    ticket: `v1.payload${n}.${"a".repeat(64)}`,
    body: `{"sealed":"sealed${n}"}`,
    url: GATEWAY_URL,
  };
}

type Reply = (init: RequestInit) => Response | Promise<Response>;

/**
 * A fetch with scripted answers per URL: the ticket route, the gateway and the chat
 * route each take the next answer of their own queue. A URL with no answer left fails
 * as a network error would.
 */
class FakeNetwork {
  readonly calls: { url: string; init: RequestInit }[] = [];
  readonly #replies = new Map<string, Reply[]>();

  on(url: string, ...replies: Reply[]): this {
    this.#replies.set(url, [...(this.#replies.get(url) ?? []), ...replies]);
    return this;
  }

  callsTo(url: string) {
    return this.calls.filter((call) => call.url === url);
  }

  deps(): TransportDeps {
    return {
      now: () => performance.now(),
      fetch: async (url, init = {}) => {
        this.calls.push({ url: String(url), init });
        const reply = this.#replies.get(String(url))?.shift();
        if (!reply) throw new TypeError("Failed to fetch");
        return reply(init);
      },
    };
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "Content-Type": "application/json", ...headers },
    });
}

const granted = (n = 1) => json(200, grant(n));
const refusedByGateway = (status: number, code: string, extra: Record<string, unknown> = {}) =>
  json(status, { error: { code, message: "a sentence for visitors", request_id: "r", ...extra } });

/** An SSE answer; with `hold`, it sends `chunks` and then waits until the request is aborted. */
function sse(chunks: string[], hold = false): Reply {
  return (init) =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
          if (!hold) controller.close();
          init.signal?.addEventListener("abort", () =>
            controller.error(new DOMException("The operation was aborted.", "AbortError")),
          );
        },
      }),
      { headers: { "Content-Type": "text/event-stream" } },
    );
}

/** A request that never answers until it is aborted. */
const pending: Reply = (init) =>
  new Promise((_resolve, reject) => {
    init.signal?.addEventListener("abort", () =>
      reject(new DOMException("The operation was aborted.", "AbortError")),
    );
  });

const answer = (text: string) => sse([frame({ type: "content", data: text }), done]);

async function ask(
  network: FakeNetwork,
  chatRequest: DirectChatRequest = request,
  signal: AbortSignal = new AbortController().signal,
): Promise<{ result: DirectResult; text: string }> {
  const deltas: string[] = [];
  const result = await requestDirectAnswer(
    chatRequest,
    { onDelta: (text) => deltas.push(text) },
    signal,
    network.deps(),
  );
  return { result, text: deltas.join("") };
}

describe("requestDirectAnswer: a ticket, then the gateway", () => {
  test("asks the ticket route with the chat request, then sends the ticket and body to the gateway as received", async () => {
    const network = new FakeNetwork()
      .on(TICKET_URL, granted())
      .on(GATEWAY_URL, answer("Hello from the gateway"));
    const { result, text } = await ask(network, { ...request, nonce: "n0nce" });
    expect(result).toEqual({
      nonceRejected: false,
      outcome: {
        status: "complete",
        hostBuffers: false,
        usage: expect.objectContaining({ output_tokens: 2 }),
      },
    });
    expect(text).toBe("Hello from the gateway");

    const [ticketCall, gatewayCall, ...more] = network.calls;
    expect(more).toEqual([]);
    expect(ticketCall?.url).toBe(TICKET_URL);
    expect(ticketCall?.init).toMatchObject({ method: "POST", credentials: "same-origin" });
    expect(ticketCall?.init.headers).toMatchObject({ "X-WP-Nonce": "n0nce" });
    expect(JSON.parse(String(ticketCall?.init.body))).toEqual({
      post_id: 7,
      block_id: "abcdefghijkl",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
    });

    // As docs/wire-format.md says: default (cors) mode, no cookies, the body untouched.
    expect(gatewayCall?.url).toBe(GATEWAY_URL);
    expect(gatewayCall?.init).toMatchObject({
      method: "POST",
      credentials: "omit",
      body: grant().body,
      headers: { "Content-Type": "application/json", "X-Sluice-Ticket": grant().ticket },
    });
    expect(gatewayCall?.init.mode).toBeUndefined();
    expect(gatewayCall?.init.signal).toBeInstanceOf(AbortSignal);
    expect(Object.keys(gatewayCall?.init.headers ?? {})).toEqual([
      "Content-Type",
      "X-Sluice-Ticket",
    ]);
  });

  test("passes stream: false to the ticket route and reads the gateway's buffered answer", async () => {
    const network = new FakeNetwork()
      .on(TICKET_URL, granted())
      .on(
        GATEWAY_URL,
        json(200, { content: "Whole answer", finish_reason: "stop", usage: { output_tokens: 2 } }),
      );
    const { result, text } = await ask(network, { ...request, stream: false });
    expect(result.outcome).toMatchObject({ status: "complete", hostBuffers: false });
    expect(text).toBe("Whole answer");
    expect(JSON.parse(String(network.calls[0]?.init.body)).stream).toBe(false);
  });

  test("tells a host that buffers the gateway's stream, as in relay mode", async () => {
    const words = Array.from({ length: 20 }, (_, i) =>
      frame({ type: "content", data: `w${i} ` }),
    ).join("");
    const network = new FakeNetwork()
      .on(TICKET_URL, granted())
      .on(
        GATEWAY_URL,
        sse([
          `${words}${frame({ type: "usage_final", output_tokens: 20, latency_ms: 3000, ttfc_ms: 200 }, "usage_final")}data: [DONE]\n\n`,
        ]),
      );
    const { result } = await ask(network);
    expect(result.outcome).toMatchObject({ status: "complete", hostBuffers: true });
  });
});

describe("requestDirectAnswer: stale tickets", () => {
  test.each(["ticket_expired", "ticket_reused", "ticket_body_mismatch"])(
    "%s: gets a new ticket and sends again, once",
    async (code) => {
      const network = new FakeNetwork()
        .on(TICKET_URL, granted(1), granted(2))
        .on(GATEWAY_URL, refusedByGateway(401, code), answer("Second time lucky"));
      const { result, text } = await ask(network);
      expect(result.outcome.status).toBe("complete");
      expect(result.relayFallback).toBeUndefined();
      expect(text).toBe("Second time lucky");
      const sent = network.callsTo(GATEWAY_URL).map((call) => call.init.headers);
      expect(sent).toEqual([
        expect.objectContaining({ "X-Sluice-Ticket": grant(1).ticket }),
        expect.objectContaining({ "X-Sluice-Ticket": grant(2).ticket }),
      ]);
      expect(network.callsTo(CHAT_URL)).toHaveLength(0);
    },
  );

  test("a second stale ticket is a failure: no third ticket, no relay", async () => {
    const network = new FakeNetwork()
      .on(TICKET_URL, granted(1), granted(2), granted(3))
      .on(
        GATEWAY_URL,
        refusedByGateway(401, "ticket_expired"),
        refusedByGateway(401, "ticket_reused"),
      );
    const { result } = await ask(network);
    expect(result.outcome).toEqual({
      status: "failed",
      failure: { kind: "rejected", status: 401, code: "ticket_reused" },
    });
    expect(network.callsTo(TICKET_URL)).toHaveLength(2);
    expect(network.callsTo(CHAT_URL)).toHaveLength(0);
  });

  test("other gateway refusals are the visitor's failure, as from the chat route, and not retried", async () => {
    const resetsAt = "2030-01-02T00:00:00.000Z";
    const budget = new FakeNetwork()
      .on(TICKET_URL, granted())
      .on(
        GATEWAY_URL,
        refusedByGateway(429, "budget_exhausted", { scope: "day", resets_at: resetsAt }),
      );
    expect((await ask(budget)).result.outcome).toEqual({
      status: "failed",
      failure: {
        kind: "budget",
        status: 429,
        code: "budget_exhausted",
        budgetScope: "day",
        resetsAt,
      },
    });

    expect(budget.callsTo(TICKET_URL)).toHaveLength(1);
    expect(budget.callsTo(CHAT_URL)).toHaveLength(0);
  });
});

describe("requestDirectAnswer: falling back to relay", () => {
  test("a gateway out of reach (no answer at all) sends the question to the chat route", async () => {
    const network = new FakeNetwork()
      .on(TICKET_URL, granted())
      .on(CHAT_URL, answer("Relayed answer"));
    const { result, text } = await ask(network);
    expect(result).toMatchObject({
      relayFallback: "unreachable",
      outcome: { status: "complete" },
    });
    expect(text).toBe("Relayed answer");
    expect(network.calls.map((call) => call.url)).toEqual([TICKET_URL, GATEWAY_URL, CHAT_URL]);
    expect(JSON.parse(String(network.callsTo(CHAT_URL)[0]?.init.body))).toMatchObject({
      post_id: 7,
      messages: [{ role: "user", content: "Hi" }],
    });
  });

  test.each([
    ["a server's 404 page", 404, "text/html", "<h1>Not Found</h1>"],
    ["WordPress's own 404 (a wrong path)", 404, "application/json", '{"code":"rest_no_route"}'],
    ["a proxy's 502 page", 502, "text/html", "<h1>Bad Gateway</h1>"],
    ["a 200 page that is no answer", 200, "text/html", "<html>home</html>"],
  ])(
    "an answer from something else than the gateway (%s) goes to the chat route",
    async (_name, status, type, text) => {
      const network = new FakeNetwork()
        .on(TICKET_URL, granted())
        .on(GATEWAY_URL, () => new Response(text, { status, headers: { "Content-Type": type } }))
        .on(CHAT_URL, answer("Relayed"));
      const { result, text: answered } = await ask(network);
      expect(result).toMatchObject({
        relayFallback: "unreachable",
        outcome: { status: "complete" },
      });
      expect(answered).toBe("Relayed");
    },
  );

  test("a page on another origin than the site's (origin_mismatch) goes to the chat route", async () => {
    const network = new FakeNetwork()
      .on(TICKET_URL, granted())
      .on(GATEWAY_URL, refusedByGateway(401, "origin_mismatch"))
      .on(CHAT_URL, answer("Relayed"));
    const { result, text } = await ask(network);
    expect(result).toMatchObject({
      relayFallback: "other_origin",
      outcome: { status: "complete" },
    });
    expect(text).toBe("Relayed");
    expect(network.calls.map((call) => call.url)).toEqual([TICKET_URL, GATEWAY_URL, CHAT_URL]);
  });

  test("a gateway refusal in its envelope is the gateway's word: no relay", async () => {
    const network = new FakeNetwork()
      .on(TICKET_URL, granted())
      .on(GATEWAY_URL, refusedByGateway(503, "no_route"))
      .on(CHAT_URL, answer("must not be asked"));
    const { result } = await ask(network);
    expect(result.outcome).toMatchObject({
      status: "failed",
      failure: { kind: "unavailable", code: "no_route" },
    });
    expect(result.relayFallback).toBeUndefined();
    expect(network.callsTo(CHAT_URL)).toHaveLength(0);
  });

  test("a site no longer in direct mode (409 sluice_direct_off) sends it to the chat route", async () => {
    const network = new FakeNetwork()
      .on(TICKET_URL, json(409, { code: "sluice_direct_off", message: "…", data: { status: 409 } }))
      .on(CHAT_URL, answer("Relayed"));
    const { result, text } = await ask(network);
    expect(result).toMatchObject({ relayFallback: "direct_off", outcome: { status: "complete" } });
    expect(text).toBe("Relayed");
    expect(network.callsTo(GATEWAY_URL)).toHaveLength(0);
  });

  test("a stream cut after its first bytes is interrupted, not sent again", async () => {
    const network = new FakeNetwork()
      .on(TICKET_URL, granted())
      .on(GATEWAY_URL, sse([frame({ type: "content", data: "Half an ans" })]))
      .on(CHAT_URL, answer("must not be asked"));
    const { result, text } = await ask(network);
    expect(result.outcome).toMatchObject({ status: "failed", failure: { kind: "interrupted" } });
    expect(result.relayFallback).toBeUndefined();
    expect(text).toBe("Half an ans");
    expect(network.callsTo(CHAT_URL)).toHaveLength(0);
  });

  test("the ticket route's refusals are failures: no gateway call, no relay", async () => {
    const network = new FakeNetwork().on(
      TICKET_URL,
      json(
        429,
        { code: "sluice_rate_limited", message: "…", data: { status: 429, retry_after: 12 } },
        { "Retry-After": "12" },
      ),
    );
    const { result } = await ask(network);
    expect(result.outcome).toEqual({
      status: "failed",
      failure: {
        kind: "rate_limited",
        status: 429,
        code: "sluice_rate_limited",
        retryAfterSeconds: 12,
      },
    });
    expect(network.calls.map((call) => call.url)).toEqual([TICKET_URL]);
  });

  test("WordPress out of reach is 'unavailable'", async () => {
    const { result } = await ask(new FakeNetwork());
    expect(result.outcome).toEqual({ status: "failed", failure: { kind: "unavailable" } });
  });

  test("a refused nonce is retried without it, and later requests go without it", async () => {
    const network = new FakeNetwork()
      .on(
        TICKET_URL,
        json(403, { code: "rest_cookie_invalid_nonce", message: "…", data: { status: 403 } }),
        granted(),
      )
      .on(CHAT_URL, answer("Relayed"));
    const { result } = await ask(network, { ...request, nonce: "stale" });
    expect(result).toMatchObject({ nonceRejected: true, relayFallback: "unreachable" });
    const nonces = network.calls
      .filter((call) => call.url !== GATEWAY_URL)
      .map((call) => (call.init.headers as Record<string, string>)["X-WP-Nonce"]);
    expect(nonces).toEqual(["stale", undefined, undefined]);
  });
});

describe("requestDirectAnswer: Stop", () => {
  test("aborting mid-answer aborts the gateway's fetch: stopped, nothing sent again", async () => {
    const controller = new AbortController();
    const network = new FakeNetwork()
      .on(TICKET_URL, granted())
      .on(GATEWAY_URL, sse([frame({ type: "content", data: "Some" })], true));
    const deltas: string[] = [];
    const result = await requestDirectAnswer(
      request,
      {
        onDelta: (text) => {
          deltas.push(text);
          controller.abort();
        },
      },
      controller.signal,
      network.deps(),
    );
    expect(result).toEqual({ outcome: { status: "stopped" }, nonceRejected: false });
    expect(deltas).toEqual(["Some"]);
    expect(network.callsTo(GATEWAY_URL)[0]?.init.signal?.aborted).toBe(true);
    expect(network.callsTo(CHAT_URL)).toHaveLength(0);
  });

  test("aborting before the gateway answers is stopped, not a fallback", async () => {
    const controller = new AbortController();
    const network = new FakeNetwork().on(TICKET_URL, granted()).on(GATEWAY_URL, pending);
    const asked = ask(network, request, controller.signal);
    await expect.poll(() => network.callsTo(GATEWAY_URL).length).toBe(1);
    controller.abort();
    expect((await asked).result).toEqual({ outcome: { status: "stopped" }, nonceRejected: false });
    expect(network.callsTo(CHAT_URL)).toHaveLength(0);
  });

  test("aborting while the ticket is asked for is stopped", async () => {
    const controller = new AbortController();
    const network = new FakeNetwork().on(TICKET_URL, pending);
    const asked = ask(network, request, controller.signal);
    await expect.poll(() => network.calls.length).toBe(1);
    controller.abort();
    expect((await asked).result.outcome).toEqual({ status: "stopped" });
    expect(network.callsTo(GATEWAY_URL)).toHaveLength(0);
  });
});

describe("sendToGateway (the admin screen's test uses it too)", () => {
  test("tells an unreachable gateway, a stale ticket and an answer apart", async () => {
    const handlers = { onDelta: () => {} };
    const signal = new AbortController().signal;
    const network = new FakeNetwork().on(
      GATEWAY_URL,
      refusedByGateway(401, "ticket_expired"),
      answer("ok"),
    );
    expect(await sendToGateway(grant(), handlers, signal, network.deps())).toEqual({
      kind: "stale_ticket",
      status: 401,
      code: "ticket_expired",
    });
    expect(await sendToGateway(grant(), handlers, signal, network.deps())).toMatchObject({
      kind: "answered",
      outcome: { status: "complete" },
    });
    expect(await sendToGateway(grant(), handlers, signal, network.deps())).toEqual({
      kind: "unreachable",
    });
  });
});
