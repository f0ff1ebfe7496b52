// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { bufferedHostKey } from "../view/buffering";
import { type ChatConfig, parseChatConfig } from "../view/config";
import { ChatWidget } from "../view/widget";

const encoder = new TextEncoder();
const frame = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
const final = (latency = 500, ttfc = 100) =>
  `event: usage_final\n${frame({ type: "usage_final", output_tokens: 3, latency_ms: latency, ttfc_ms: ttfc })}data: [DONE]\n\n`;

const config: ChatConfig = {
  restUrl: "https://example.com/wp-json/sluice/v1/chat",
  postId: 3,
  blockId: "blk123456789",
  streamingMode: "auto",
  texts: { title: "Ask us", welcome: "Hi! How can I help?", placeholder: "Type…" },
};

type Reply = (init: RequestInit) => Response;
let replies: Reply[] = [];
let bodies: Record<string, unknown>[] = [];

/** An SSE response; with `hold`, it sends `chunks` and then waits until the request is aborted. */
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

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "Content-Type": "application/json", ...headers },
    });
}

function mount(overrides: Partial<ChatConfig> = {}) {
  const root = document.createElement("div");
  document.body.append(root);
  new ChatWidget(root, { ...config, ...overrides });
  const input = root.querySelector("textarea") as HTMLTextAreaElement;
  const log = root.querySelector(".sluice-chat__log") as HTMLElement;
  const ask = (text: string) => {
    input.value = text;
    input.dispatchEvent(
      new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }),
    );
  };
  const idle = () => vi.waitFor(() => expect(log.getAttribute("aria-busy")).toBe("false"));
  return { root, input, log, ask, idle };
}

beforeEach(() => {
  replies = [];
  bodies = [];
  localStorage.clear();
  vi.stubGlobal(
    "fetch",
    vi.fn(async (_url: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)));
      const reply = replies.shift();
      if (!reply) throw new TypeError("Failed to fetch");
      return reply(init);
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  document.body.replaceChildren();
});

describe("ChatWidget", () => {
  test("builds an accessible conversation with the welcome bubble", () => {
    const { root, input, log } = mount();
    expect(root.querySelector("h2")?.textContent).toBe("Ask us");
    expect(log.getAttribute("role")).toBe("log");
    expect(log.getAttribute("aria-live")).toBe("polite");
    expect(log.textContent).toContain("Hi! How can I help?");
    const label = root.querySelector(`label[for="${input.id}"]`);
    expect(label?.textContent).toBe("Your message");
    expect(input.placeholder).toBe("Type…");
    expect((root.querySelector(".sluice-chat__stop") as HTMLButtonElement).hidden).toBe(true);
  });

  test("Enter sends, Shift+Enter does not; the answer streams in; history goes with the next question", async () => {
    const { input, log, ask, idle } = mount();
    input.value = "line one";
    input.dispatchEvent(
      new KeyboardEvent("keydown", {
        key: "Enter",
        shiftKey: true,
        bubbles: true,
        cancelable: true,
      }),
    );
    expect(bodies).toHaveLength(0);

    replies.push(
      sse([
        frame({ type: "content", data: "Hello " }),
        frame({ type: "content", data: "there." }),
        final(),
      ]),
    );
    ask("Hi?");
    expect(input.value).toBe("");
    await idle();
    const bubbles = log.querySelectorAll(".sluice-chat__message--assistant .sluice-chat__bubble");
    expect(bubbles[bubbles.length - 1]?.textContent).toBe("Hello there.");
    expect(bodies[0]).toMatchObject({
      post_id: 3,
      block_id: "blk123456789",
      stream: true,
      messages: [{ role: "user", content: "Hi?" }],
    });

    replies.push(sse([frame({ type: "content", data: "Sure." }), final()]));
    ask("More?");
    await idle();
    expect(bodies[1]?.messages).toEqual([
      { role: "user", content: "Hi?" },
      { role: "assistant", content: "Hello there." },
      { role: "user", content: "More?" },
    ]);
  });

  test("Escape stops the answer; the partial text stays, marked stopped", async () => {
    const { root, log, ask, idle } = mount();
    replies.push(sse([frame({ type: "content", data: "Partial answer" })], true));
    ask("Long one please");
    const stop = root.querySelector(".sluice-chat__stop") as HTMLButtonElement;
    await vi.waitFor(() => expect(stop.hidden).toBe(false));
    await vi.waitFor(() => expect(log.textContent).toContain("Partial answer"));
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    await idle();
    const stopped = log.querySelector(".sluice-chat__message.is-stopped");
    expect(stopped?.textContent).toContain("Partial answer");
    expect(stopped?.textContent).toContain("Stopped");
    expect(stop.hidden).toBe(true);
  });

  test("an error says what happened and Retry resends the question", async () => {
    const { root, log, ask, idle } = mount();
    replies.push(
      json(
        429,
        { code: "sluice_rate_limited", message: "slow", data: { status: 429 } },
        { "Retry-After": "30" },
      ),
    );
    ask("Again?");
    await idle();
    expect(log.textContent).toContain("try again in 30 seconds");
    const retry = root.querySelector(".sluice-chat__retry") as HTMLButtonElement;
    replies.push(sse([frame({ type: "content", data: "Now it works." }), final()]));
    retry.click();
    await idle();
    expect(log.querySelector(".sluice-chat__retry")).toBeNull();
    expect(log.textContent).toContain("Now it works.");
    expect(log.querySelectorAll(".sluice-chat__message--user")).toHaveLength(1);
    expect(bodies[1]?.messages).toEqual([{ role: "user", content: "Again?" }]);
  });

  test("shows its own sentence for an in-stream error or a refusal, never the server's text", async () => {
    const leaky = "provider refused key sk-...abcd at http://10.0.0.5 (cap $5.00)";
    const { log, ask, idle } = mount();
    replies.push(
      sse([
        frame({ type: "content", data: "Partial " }),
        `event: error\n${frame({ type: "error", code: "provider_error", message: leaky })}`,
        final(),
      ]),
    );
    ask("First?");
    await idle();
    expect(log.textContent).toContain("Partial");
    expect(log.textContent).toContain("The answer was interrupted.");
    replies.push(
      json(502, { code: "sluice_gateway_provider_auth", message: leaky, data: { status: 502 } }),
    );
    ask("Second?");
    await idle();
    expect(log.textContent).toContain("Chat is unavailable right now");
    for (const secret of ["sk-", "10.0.0.5", "$5.00"])
      expect(log.textContent).not.toContain(secret);
  });

  test("a network failure leaves the page working", async () => {
    const { log, ask, idle } = mount();
    ask("Anyone?");
    await idle();
    expect(log.textContent).toContain("Chat is unavailable right now");
    replies.push(sse([frame({ type: "content", data: "Back." }), final()]));
    ask("Now?");
    await idle();
    expect(log.textContent).toContain("Back.");
  });

  test("a host that buffers is remembered, and the next question asks for a buffered answer", async () => {
    const { log, ask, idle } = mount();
    const words = Array.from({ length: 20 }, (_, i) =>
      frame({ type: "content", data: `w${i} ` }),
    ).join("");
    replies.push(sse([words + final(4000, 300)]));
    ask("First");
    await idle();
    expect(log.textContent).toContain("w19");
    expect(localStorage.getItem(bufferedHostKey(config.restUrl))).not.toBeNull();
    replies.push(json(200, { content: "Whole answer.", usage: { output_tokens: 2 } }));
    ask("Second");
    await idle();
    expect(bodies[1]?.stream).toBe(false);
    expect(log.textContent).toContain("Whole answer.");
  });

  test("a block saved without an id says so and sends nothing", async () => {
    const { log, ask, idle } = mount({ blockId: "" });
    ask("Hello?");
    await idle();
    expect(log.textContent).toContain("not set up yet");
    expect(log.querySelector(".sluice-chat__retry")).toBeNull();
    expect(bodies).toHaveLength(0);
  });

  test("streamingMode off shows a notice and no working form", () => {
    const { root, input } = mount({ streamingMode: "off" });
    expect(input.disabled).toBe(true);
    expect((root.querySelector(".sluice-chat__send") as HTMLButtonElement).disabled).toBe(true);
    expect(root.textContent).toContain("switched off");
  });

  test("the page config is read from JSON with defaults", () => {
    expect(
      parseChatConfig(
        '{"restUrl":"/wp-json/sluice/v1/chat","postId":5,"blockId":"x","streamingMode":"weird"}',
      ),
    ).toEqual({
      restUrl: "/wp-json/sluice/v1/chat",
      postId: 5,
      blockId: "x",
      streamingMode: "auto",
      texts: { title: "", welcome: "", placeholder: "" },
    });
    expect(() => parseChatConfig("not json")).toThrow();
    expect(() => parseChatConfig('{"restUrl":"/x"}')).toThrow();
  });
  test("direct mode: a ticket, then the gateway; once the gateway is out of reach, the page relays", async () => {
    const ticketUrl = "https://example.com/wp-json/sluice/v1/ticket";
    const gatewayUrl = "https://gateway.example.com/v1/direct/chat";
    const { log, ask, idle } = mount({ ticketUrl });
    const urls = () => vi.mocked(fetch).mock.calls.map(([url]) => String(url));
    const grant = json(200, {
      ticket: `v1.p.${"0".repeat(64)}`,
      body: '{"sealed":"s"}',
      url: gatewayUrl,
    });
    const unreachable: Reply = () => {
      throw new TypeError("Failed to fetch");
    };

    replies.push(grant, sse([frame({ type: "content", data: "Direct." }), final()]));
    ask("First?");
    await idle();
    expect(urls()).toEqual([ticketUrl, gatewayUrl]);

    replies.push(grant, unreachable, sse([frame({ type: "content", data: "Relayed." }), final()]));
    ask("Second?");
    await idle();
    expect(urls().slice(2)).toEqual([ticketUrl, gatewayUrl, config.restUrl]);
    const bubbles = log.querySelectorAll(".sluice-chat__message--assistant .sluice-chat__bubble");
    expect(bubbles[bubbles.length - 1]?.textContent).toBe("Relayed.");
    expect(log.querySelector(".sluice-chat__message--notice")).toBeNull();

    replies.push(sse([frame({ type: "content", data: "Relayed again." }), final()]));
    ask("Third?");
    await idle();
    expect(urls().slice(5)).toEqual([config.restUrl]);
  });

  test("the page config carries the ticket route in direct mode", () => {
    expect(
      parseChatConfig(
        '{"restUrl":"/wp-json/sluice/v1/chat","postId":5,"blockId":"x","ticketUrl":"/wp-json/sluice/v1/ticket"}',
      ),
    ).toMatchObject({ ticketUrl: "/wp-json/sluice/v1/ticket" });
  });
});
