// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { bufferedHostKey } from "../view/buffering";
import { type ChatConfig, parseChatConfig } from "../view/config";
import { memoryKey } from "../view/memory";
import { ChatWidget } from "../view/widget";

const encoder = new TextEncoder();
const frame = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
const final = (latency = 500, ttfc = 100, cost = 0.00012) =>
  `event: usage_final\n${frame({ type: "usage_final", output_tokens: 3, cost_usd: cost, latency_ms: latency, ttfc_ms: ttfc })}data: [DONE]\n\n`;
const answered = (text: string) => sse([frame({ type: "content", data: text }), final()]);

const config: ChatConfig = {
  restUrl: "https://example.com/wp-json/sluice/v1/chat",
  postId: 3,
  blockId: "blk123456789",
  streamingMode: "auto",
  texts: { title: "Ask us", welcome: "Hi! How can I help?", placeholder: "Type…", suggestions: [] },
  memoryDays: 7,
  canSeeCost: false,
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

/** The text of each assistant bubble after the welcome. */
function answers(log: HTMLElement): string[] {
  return [...log.querySelectorAll(".sluice-chat__message--assistant .sluice-chat__bubble")]
    .slice(1)
    .map((bubble) => bubble.textContent ?? "");
}

function questions(log: HTMLElement): string[] {
  return [...log.querySelectorAll(".sluice-chat__message--user .sluice-chat__bubble")].map(
    (bubble) => bubble.textContent ?? "",
  );
}

const announcer = (root: HTMLElement) =>
  root.querySelector(".sluice-chat__announcer") as HTMLElement;

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
      texts: { title: "", welcome: "", placeholder: "", suggestions: [] },
      memoryDays: 7,
      canSeeCost: false,
    });
    expect(
      parseChatConfig(
        JSON.stringify({
          restUrl: "/c",
          postId: 5,
          blockId: "x",
          memoryDays: 30,
          canSeeCost: true,
          texts: { suggestions: ["What is it?", "How?"] },
        }),
      ),
    ).toMatchObject({
      memoryDays: 30,
      canSeeCost: true,
      texts: { suggestions: ["What is it?", "How?"] },
    });
    expect(
      parseChatConfig('{"restUrl":"/c","postId":5,"memoryDays":-3,"canSeeCost":"yes"}'),
    ).toMatchObject({ memoryDays: 0, canSeeCost: false });
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

  describe("the conversation across page loads", () => {
    test("a new widget on the same storage (a reload) shows the turns and sends them with the next question", async () => {
      const first = mount();
      first.root.remove();
      replies.push(answered("A **bold** answer."));
      first.ask("First?");
      await first.idle();
      replies.push(sse([frame({ type: "content", data: "Half" })], true));
      first.ask("Second?");
      await vi.waitFor(() => expect(first.log.textContent).toContain("Half"));
      first.root.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
      await first.idle();

      const reloaded = mount();
      expect(questions(reloaded.log)).toEqual(["First?", "Second?"]);
      expect(answers(reloaded.log)).toEqual(["A bold answer.", "Half"]);
      expect(reloaded.log.querySelector("strong")?.textContent).toBe("bold");
      const stopped = reloaded.log.querySelector(".sluice-chat__message.is-stopped");
      expect(stopped?.querySelector(".sluice-chat__note")?.textContent).toBe("Stopped");
      expect(reloaded.log.querySelectorAll(".sluice-chat__regenerate")).toHaveLength(1);

      replies.push(answered("Third answer."));
      reloaded.ask("Third?");
      await reloaded.idle();
      expect(bodies.at(-1)?.messages).toEqual([
        { role: "user", content: "First?" },
        { role: "assistant", content: "A **bold** answer." },
        { role: "user", content: "Second?" },
        { role: "assistant", content: "Half" },
        { role: "user", content: "Third?" },
      ]);
    });

    test("memoryDays 0 keeps nothing in the browser", async () => {
      const first = mount({ memoryDays: 0 });
      replies.push(answered("Not kept."));
      first.ask("Kept?");
      await first.idle();
      expect(localStorage.getItem(memoryKey(config))).toBeNull();
      expect(questions(mount({ memoryDays: 0 }).log)).toEqual([]);
    });

    test("a failed question is not remembered", async () => {
      const first = mount();
      first.ask("Anyone?"); // no reply: a network failure
      await first.idle();
      expect(questions(mount().log)).toEqual([]);
    });

    test("New chat clears the view and the storage, and the input gets the focus", async () => {
      const { root, log, ask, idle, input } = mount();
      const newChat = root.querySelector(".sluice-chat__new-chat") as HTMLButtonElement;
      expect(newChat.hidden).toBe(true);
      replies.push(answered("Answer."));
      ask("Question?");
      await idle();
      expect(newChat.hidden).toBe(false);
      expect(newChat.type).toBe("button");
      expect(newChat.textContent).toBe("New chat");
      newChat.focus();
      newChat.click();
      expect(questions(log)).toEqual([]);
      expect(answers(log)).toEqual([]);
      expect(log.textContent).toContain("Hi! How can I help?");
      expect(localStorage.getItem(memoryKey(config))).toBeNull();
      expect(newChat.hidden).toBe(true);
      expect(document.activeElement).toBe(input);
      await vi.waitFor(() => expect(announcer(root).textContent).toBe("New chat started."));
      expect(questions(mount().log)).toEqual([]);

      replies.push(answered("Fresh."));
      ask("Again?");
      await idle();
      expect(bodies.at(-1)?.messages).toEqual([{ role: "user", content: "Again?" }]);
    });

    test("New chat during an answer stops it, and the stopped answer is not kept", async () => {
      const { root, log, ask, idle } = mount();
      replies.push(sse([frame({ type: "content", data: "Going" })], true));
      ask("Long?");
      await vi.waitFor(() => expect(log.textContent).toContain("Going"));
      (root.querySelector(".sluice-chat__new-chat") as HTMLButtonElement).click();
      await idle();
      expect(questions(log)).toEqual([]);
      expect(answers(log)).toEqual([]);
      expect(localStorage.getItem(memoryKey(config))).toBeNull();
    });
  });

  describe("history that does not fit", () => {
    const longTurns = Array.from({ length: 8 }, (_, i) => ({ q: `q${i}`, a: "y".repeat(3990) }));
    const remember = (turns: { q: string; a: string }[]) =>
      localStorage.setItem(memoryKey(config), JSON.stringify({ v: 1, savedAt: Date.now(), turns }));

    test("is trimmed, oldest first, and the block says so (on screen and to screen readers)", async () => {
      remember(longTurns);
      const { root, ask, idle } = mount();
      const note = root.querySelector(".sluice-chat__trim-note") as HTMLElement;
      expect(note.hidden).toBe(true);
      replies.push(answered("Fine."));
      ask("short");
      await idle();
      const sent = bodies[0]?.messages as { content: string }[];
      expect(sent.reduce((sum, message) => sum + message.content.length, 0)).toBeLessThanOrEqual(
        20_000,
      );
      expect(sent[0]).toEqual({ role: "user", content: "q3" });
      expect(note.hidden).toBe(false);
      expect(note.textContent).toContain("Older messages are no longer sent");
      await vi.waitFor(() => expect(announcer(root).textContent).toBe(note.textContent));
    });

    test("no note while everything fits", async () => {
      const { root, ask, idle } = mount();
      replies.push(answered("Fine."));
      ask("short");
      await idle();
      expect((root.querySelector(".sluice-chat__trim-note") as HTMLElement).hidden).toBe(true);
    });

    test("a refusal as too long for the model's window is sent once more with less history", async () => {
      remember([
        { q: "q0", a: "y".repeat(3000) },
        { q: "q1", a: "y".repeat(3000) },
      ]);
      const { root, log, ask, idle } = mount();
      const tooLong = json(400, {
        code: "sluice_gateway_context_length_exceeded",
        message: "The conversation is too long for this chat.",
        data: { status: 400 },
      });
      replies.push(tooLong, answered("Shorter works."));
      ask("now");
      await idle();
      expect(bodies).toHaveLength(2);
      const [first, second] = bodies.map((body) => body.messages as unknown[]);
      expect(first).toHaveLength(5);
      expect(second?.length).toBeLessThan(5);
      expect(second?.at(-1)).toEqual({ role: "user", content: "now" });
      expect(answers(log).at(-1)).toBe("Shorter works.");
      expect((root.querySelector(".sluice-chat__trim-note") as HTMLElement).hidden).toBe(false);

      replies.push(tooLong, tooLong);
      ask("again");
      await idle();
      expect(bodies).toHaveLength(4);
      expect(log.textContent).toContain("too long for this chat");
    });
  });

  test("suggested questions show until the first question; a click asks it", async () => {
    const { root, log, idle } = mount({
      texts: { ...config.texts, suggestions: ["What is Sluice?", "How much does it cost?"] },
    });
    const chips = [...root.querySelectorAll<HTMLButtonElement>(".sluice-chat__suggestion")];
    expect(chips.map((chip) => chip.textContent)).toEqual([
      "What is Sluice?",
      "How much does it cost?",
    ]);
    expect(root.querySelector(".sluice-chat__suggestions")?.getAttribute("role")).toBe("group");
    replies.push(answered("It is a chat."));
    chips[1]?.click();
    await idle();
    expect(bodies[0]?.messages).toEqual([{ role: "user", content: "How much does it cost?" }]);
    expect(questions(log)).toEqual(["How much does it cost?"]);
    expect(root.querySelector(".sluice-chat__suggestions")).toBeNull();
    expect(
      mount({ texts: { ...config.texts, suggestions: ["What is Sluice?"] } }).root.querySelector(
        ".sluice-chat__suggestions",
      ),
      "not after a reload with a conversation",
    ).toBeNull();
    (root.querySelector(".sluice-chat__new-chat") as HTMLButtonElement).click();
    expect(root.querySelectorAll(".sluice-chat__suggestion")).toHaveLength(2);
  });

  describe("each answer's actions", () => {
    test("Copy puts the Markdown source on the clipboard and says Copied", async () => {
      const written: string[] = [];
      Object.defineProperty(navigator, "clipboard", {
        configurable: true,
        value: { writeText: async (text: string) => void written.push(text) },
      });
      try {
        const { root, log, ask, idle } = mount();
        replies.push(
          sse([
            frame({ type: "content", data: "Use `npm` and " }),
            frame({ type: "content", data: "**care**." }),
            final(),
          ]),
        );
        ask("How?");
        await idle();
        const copy = log.querySelector(".sluice-chat__copy") as HTMLButtonElement;
        copy.click();
        await vi.waitFor(() => expect(copy.textContent).toBe("Copied"));
        expect(written).toEqual(["Use `npm` and **care**."]);
        await vi.waitFor(() => expect(announcer(root).textContent).toBe("Copied"));
      } finally {
        Reflect.deleteProperty(navigator, "clipboard");
      }
    });

    test("Regenerate replaces the newest answer with a new request for the same question", async () => {
      const { log, ask, idle, input } = mount();
      replies.push(answered("One."));
      ask("First?");
      await idle();
      replies.push(answered("Two."));
      ask("Second?");
      await idle();
      const regenerates = log.querySelectorAll<HTMLButtonElement>(".sluice-chat__regenerate");
      expect(regenerates, "only on the newest answer").toHaveLength(1);
      replies.push(answered("Two, again."));
      regenerates[0]?.click();
      expect(document.activeElement).toBe(input);
      await idle();
      expect(bodies).toHaveLength(3);
      expect(bodies[2]?.messages).toEqual(bodies[1]?.messages);
      expect(bodies[2]?.messages).toEqual([
        { role: "user", content: "First?" },
        { role: "assistant", content: "One." },
        { role: "user", content: "Second?" },
      ]);
      expect(questions(log)).toEqual(["First?", "Second?"]);
      expect(answers(log)).toEqual(["One.", "Two, again."]);
      expect(log.querySelectorAll(".sluice-chat__regenerate")).toHaveLength(1);
      expect(answers(mount().log), "remembered").toEqual(["One.", "Two, again."]);
    });

    test("the answer's cost shows only to a viewer who may see it, also after a reload", async () => {
      const visitor = mount();
      replies.push(answered("Cheap."));
      visitor.ask("Price?");
      await visitor.idle();
      expect(visitor.log.querySelector(".sluice-chat__cost")).toBeNull();
      expect(localStorage.getItem(memoryKey(config))).not.toContain("cost");

      localStorage.clear();
      const admin = mount({ canSeeCost: true });
      replies.push(answered("Cheap."));
      admin.ask("Price?");
      await admin.idle();
      expect(admin.log.querySelector(".sluice-chat__cost")?.textContent).toBe("Cost: $0.00012");
      expect(mount({ canSeeCost: true }).log.querySelector(".sluice-chat__cost")?.textContent).toBe(
        "Cost: $0.00012",
      );
      expect(mount().log.querySelector(".sluice-chat__cost")).toBeNull();
    });
  });
});

describe("ChatWidget with Turnstile on", () => {
  /** `window.turnstile`: passes the check at once, and again after each reset. */
  function fakeTurnstile() {
    let issued = 0;
    let callback: ((token: string) => void) | undefined;
    const pass = () => setTimeout(() => callback?.(`tok-${++issued}`), 0);
    const api = {
      resets: 0,
      render: (_container: HTMLElement, parameters: { callback: (token: string) => void }) => {
        callback = parameters.callback;
        pass();
        return "w1";
      },
      reset: () => {
        api.resets++;
        pass();
      },
      getResponse: () => undefined,
      remove: () => {},
    };
    vi.stubGlobal("turnstile", api);
    return api;
  }

  test("the widget sits above the message field, and each question sends a token of its own", async () => {
    fakeTurnstile();
    const { root, ask, idle } = mount({ turnstileSiteKey: "0x4AAA" });
    const gate = root.querySelector(".sluice-chat__turnstile");
    expect(gate?.nextElementSibling?.classList.contains("sluice-chat__form")).toBe(true);
    replies.push(answered("One."), answered("Two."));
    ask("First?");
    await idle();
    ask("Second?");
    await idle();
    expect(bodies.map((body) => body.turnstile_token)).toEqual(["tok-1", "tok-2"]);
  });

  test("a refused token runs the check again, and Retry sends a new one", async () => {
    const api = fakeTurnstile();
    const { root, log, ask, idle } = mount({ turnstileSiteKey: "0x4AAA" });
    replies.push(
      json(403, { code: "sluice_turnstile_invalid", message: "m", data: { status: 403 } }),
      answered("Now it works."),
    );
    ask("Hello?");
    await idle();
    expect(log.textContent).toContain("The security check did not pass.");
    const resetsAfterRefusal = api.resets;
    expect(resetsAfterRefusal).toBe(2); // the token was handed out, then refused
    (root.querySelector(".sluice-chat__retry") as HTMLButtonElement).click();
    await idle();
    expect(answers(log)).toEqual(["Now it works."]);
    expect(bodies.map((body) => body.turnstile_token)).toEqual(["tok-1", "tok-3"]);
  });

  test("without a site key there is no widget and no token field", async () => {
    const { root, ask, idle } = mount();
    expect(root.querySelector(".sluice-chat__turnstile")).toBeNull();
    replies.push(answered("Fine."));
    ask("Hi");
    await idle();
    expect(bodies[0]).not.toHaveProperty("turnstile_token");
  });
});
