// @vitest-environment jsdom
import { describe, expect, test } from "vitest";
import { parseChatConfig } from "../view/config";
import { requestDirectAnswer } from "../view/direct";
import { classifyHttpFailure, describeFailure } from "../view/errors";
import { type ChatRequest, requestAnswer, type TransportDeps } from "../view/transport";
import {
  type TurnstileApi,
  type TurnstileDeps,
  TurnstileError,
  TurnstileGate,
  type TurnstileRenderParameters,
} from "../view/turnstile";

/** Cloudflare's `window.turnstile`, as far as the block uses it; the test plays the widget. */
class FakeTurnstile implements TurnstileApi {
  readonly rendered: { container: HTMLElement; parameters: TurnstileRenderParameters }[] = [];
  readonly resets: string[] = [];
  response: string | undefined;
  expired = false;
  renderResult: string | undefined = "widget-1";

  render(container: HTMLElement, parameters: TurnstileRenderParameters) {
    this.rendered.push({ container, parameters });
    return this.renderResult;
  }
  reset(widgetId: string) {
    this.resets.push(widgetId);
    this.response = undefined;
  }
  getResponse() {
    return this.response;
  }
  remove() {}
  isExpired() {
    return this.expired;
  }

  /** The visitor passed the check: the widget calls back with a token. */
  pass(token: string) {
    this.response = token;
    this.parameters().callback(token);
  }

  parameters(): TurnstileRenderParameters {
    const last = this.rendered.at(-1);
    if (!last) throw new Error("no widget rendered");
    return last.parameters;
  }
}

/** A clock and timers the test moves by hand. */
class FakeTime {
  now = 0;
  #timers: { at: number; run: () => void }[] = [];

  deps(api: () => TurnstileApi | undefined): Partial<TurnstileDeps> {
    return {
      api,
      loadTimeoutMs: 1000,
      pollMs: 100,
      now: () => this.now,
      setTimeout: (run, ms) => this.#timers.push({ at: this.now + ms, run }),
    };
  }

  advance(ms: number) {
    const until = this.now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers[0];
      if (!next || next.at > until) break;
      this.#timers.shift();
      this.now = next.at;
      next.run();
    }
    this.now = until;
  }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
const signal = () => new AbortController().signal;

describe("TurnstileGate", () => {
  test("renders one explicit widget with the site key and no hidden input", async () => {
    const turnstile = new FakeTurnstile();
    const gate = new TurnstileGate(document, "0x4AAA-site", { deps: { api: () => turnstile } });
    gate.start();
    await flush();
    expect(turnstile.rendered).toHaveLength(1);
    expect(turnstile.rendered[0]?.container).toBe(gate.element);
    expect(turnstile.parameters()).toMatchObject({
      sitekey: "0x4AAA-site",
      "response-field": false,
      "refresh-expired": "auto",
    });
    expect(gate.element.getAttribute("aria-label")).toBe("Security check");
  });

  test("each request gets its own token: a token is handed out once, then the widget resets", async () => {
    const turnstile = new FakeTurnstile();
    const waited: number[] = [];
    const gate = new TurnstileGate(document, "key", {
      deps: { api: () => turnstile },
      onWait: () => waited.push(1),
    });
    gate.start();
    await flush();
    turnstile.pass("token-1");
    expect(await gate.token(signal())).toBe("token-1");
    expect(turnstile.resets).toEqual(["widget-1"]);
    expect(waited).toHaveLength(0);

    // The next request waits for the widget's next token (and says so), never reusing one.
    const second = gate.token(signal());
    await flush();
    expect(waited).toHaveLength(1);
    turnstile.pass("token-2");
    expect(await second).toBe("token-2");
    expect(turnstile.resets).toEqual(["widget-1", "widget-1"]);
  });

  test("an expired response is not handed out", async () => {
    const turnstile = new FakeTurnstile();
    const gate = new TurnstileGate(document, "key", { deps: { api: () => turnstile } });
    gate.start();
    await flush();
    turnstile.response = "old";
    turnstile.expired = true;
    const pending = gate.token(signal());
    await flush();
    turnstile.expired = false;
    turnstile.pass("fresh");
    expect(await pending).toBe("fresh");
  });

  test("Stop while waiting for the check aborts the wait", async () => {
    const turnstile = new FakeTurnstile();
    const gate = new TurnstileGate(document, "key", { deps: { api: () => turnstile } });
    const controller = new AbortController();
    const pending = gate.token(controller.signal);
    await flush();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    // The widget's next token goes to the next request.
    turnstile.pass("later");
    expect(await gate.token(signal())).toBe("later");
  });

  test("a widget error fails the waiting request with check_failed", async () => {
    const turnstile = new FakeTurnstile();
    const gate = new TurnstileGate(document, "key", { deps: { api: () => turnstile } });
    const pending = gate.token(signal());
    await flush();
    expect(turnstile.parameters()["error-callback"]("300030")).toBe(true);
    await expect(pending).rejects.toEqual(new TurnstileError({ kind: "check_failed" }));
  });

  test("a script that comes late is waited for; one that never comes fails by the deadline", async () => {
    const time = new FakeTime();
    let api: TurnstileApi | undefined;
    const gate = new TurnstileGate(document, "key", { deps: time.deps(() => api) });

    const late = gate.token(signal());
    time.advance(500);
    const turnstile = new FakeTurnstile();
    api = turnstile;
    time.advance(100);
    await flush();
    turnstile.pass("t");
    expect(await late).toBe("t");

    const neverGate = new TurnstileGate(document, "key", { deps: time.deps(() => undefined) });
    const never = neverGate.token(signal());
    const settled = never.catch((error: unknown) => error);
    time.advance(999);
    await flush();
    let done = false;
    void settled.then(() => {
      done = true;
    });
    await flush();
    expect(done).toBe(false);
    time.advance(1);
    expect(await settled).toEqual(new TurnstileError({ kind: "check_not_loaded" }));
  });

  test("a widget that cannot be rendered is check_not_loaded", async () => {
    const turnstile = new FakeTurnstile();
    turnstile.renderResult = undefined;
    const gate = new TurnstileGate(document, "key", { deps: { api: () => turnstile } });
    await expect(gate.token(signal())).rejects.toEqual(
      new TurnstileError({ kind: "check_not_loaded" }),
    );
  });
});

const CHAT_URL = "https://blog.example/wp-json/sluice/v1/chat";
const TICKET_URL = "https://blog.example/wp-json/sluice/v1/ticket";

/** Tokens numbered in the order they were asked for. */
function tokens() {
  const asked: string[] = [];
  const source = async () => {
    const token = `token-${asked.length + 1}`;
    asked.push(token);
    return token;
  };
  return { asked, source };
}

function network(replies: Record<string, (() => Response)[]>) {
  const calls: { url: string; body: Record<string, unknown>; nonce: string | null }[] = [];
  const deps: TransportDeps = {
    now: () => 0,
    fetch: async (url, init = {}) => {
      const headers = new Headers(init.headers);
      calls.push({
        url: String(url),
        body: JSON.parse(String(init.body)) as Record<string, unknown>,
        nonce: headers.get("X-WP-Nonce"),
      });
      const reply = replies[String(url)]?.shift();
      if (!reply) throw new TypeError("Failed to fetch");
      return reply();
    },
  };
  return { calls, deps };
}

const json = (status: number, body: unknown) => () =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const answer = json(200, {
  content: "Hello",
  usage: { type: "usage_final", request_id: "r", output_tokens: 1, latency_ms: 5, ttfc_ms: 5 },
});

const base: ChatRequest = {
  restUrl: CHAT_URL,
  postId: 7,
  blockId: "abcdefghijkl",
  messages: [{ role: "user", content: "Hi" }],
  stream: false,
};

describe("the token in the requests to WordPress", () => {
  test("the chat route's body carries a new token each request; none without Turnstile", async () => {
    const { asked, source } = tokens();
    const { calls, deps } = network({ [CHAT_URL]: [answer, answer, answer] });
    const handlers = { onDelta: () => {} };
    await requestAnswer({ ...base, turnstileToken: source }, handlers, signal(), deps);
    await requestAnswer({ ...base, turnstileToken: source }, handlers, signal(), deps);
    await requestAnswer(base, handlers, signal(), deps);
    expect(calls.map((call) => call.body.turnstile_token)).toEqual([
      "token-1",
      "token-2",
      undefined,
    ]);
    expect(asked).toHaveLength(2);
  });

  test("the retry after a refused nonce sends the same token (WordPress never checked it)", async () => {
    const { asked, source } = tokens();
    const refusedNonce = json(403, { code: "rest_cookie_invalid_nonce", data: { status: 403 } });
    const { calls, deps } = network({ [CHAT_URL]: [refusedNonce, answer] });
    const result = await requestAnswer(
      { ...base, nonce: "stale", turnstileToken: source },
      { onDelta: () => {} },
      signal(),
      deps,
    );
    expect(result.outcome.status).toBe("complete");
    expect(calls.map((call) => [call.nonce, call.body.turnstile_token])).toEqual([
      ["stale", "token-1"],
      [null, "token-1"],
    ]);
    expect(asked).toHaveLength(1);
  });

  test("no token, no request: the check's failure is the outcome", async () => {
    const { calls, deps } = network({ [CHAT_URL]: [answer] });
    const result = await requestAnswer(
      {
        ...base,
        turnstileToken: async () => {
          throw new TurnstileError({ kind: "check_not_loaded" });
        },
      },
      { onDelta: () => {} },
      signal(),
      deps,
    );
    expect(result.outcome).toEqual({ status: "failed", failure: { kind: "check_not_loaded" } });
    expect(calls).toHaveLength(0);
  });

  test("direct mode: the ticket carries a token, and the relay after an unreachable gateway a new one", async () => {
    const { source } = tokens();
    const grant = json(200, {
      ticket: `v1.p.${"a".repeat(64)}`,
      body: '{"sealed":"s"}',
      url: "https://gateway.example/v1/direct/chat",
    });
    const { calls, deps } = network({ [TICKET_URL]: [grant], [CHAT_URL]: [answer] });
    const result = await requestDirectAnswer(
      { ...base, ticketUrl: TICKET_URL, turnstileToken: source },
      { onDelta: () => {} },
      signal(),
      deps,
    );
    expect(result.outcome.status).toBe("complete");
    expect(
      calls.filter((call) => call.url !== "https://gateway.example/v1/direct/chat"),
    ).toMatchObject([
      { url: TICKET_URL, body: { turnstile_token: "token-1" } },
      { url: CHAT_URL, body: { turnstile_token: "token-2" } },
    ]);
  });
});

describe("the plugin's abuse refusals, for visitors", () => {
  const wpError = (code: string, status: number) => ({ code, message: "m", data: { status } });

  test.each([
    ["sluice_daily_cap_reached", 429, "daily_cap", false],
    ["sluice_turnstile_missing", 400, "check_failed", true],
    ["sluice_turnstile_invalid", 403, "check_failed", true],
    ["sluice_turnstile_unavailable", 503, "check_unavailable", true],
  ] as const)("%s (%i) is %s", (code, status, kind, retryable) => {
    const failure = classifyHttpFailure(status, wpError(code, status), null);
    expect(failure.kind).toBe(kind);
    const described = describeFailure(failure);
    expect(described.retryable).toBe(retryable);
    expect(described.text).not.toMatch(/sluice_|turnstile/i);
  });

  test("a script that never loaded says nothing was sent", () => {
    expect(describeFailure({ kind: "check_not_loaded" }).text).toMatch(/not sent/);
  });
});

describe("config", () => {
  const raw = (extra: Record<string, unknown>) =>
    JSON.stringify({ restUrl: CHAT_URL, postId: 7, blockId: "abcdefghijkl", ...extra });

  test("reads turnstileSiteKey when the site has Turnstile on, and has none otherwise", () => {
    expect(parseChatConfig(raw({ turnstileSiteKey: "0x4AAA" })).turnstileSiteKey).toBe("0x4AAA");
    expect(parseChatConfig(raw({})).turnstileSiteKey).toBeUndefined();
    expect(parseChatConfig(raw({ turnstileSiteKey: 42 })).turnstileSiteKey).toBeUndefined();
  });
});
