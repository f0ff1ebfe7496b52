import { describe, expect, it } from "vitest";
import { loadPriceBook } from "../../server/pricing/prices.ts";
import {
  ProviderAuthError,
  ProviderConnectionError,
  ProviderRateLimitError,
  ProviderServerError,
} from "../../server/providers/errors.ts";
import type { ProviderCall, ProviderEvent, ProviderId } from "../../server/providers/types.ts";
import { ModelCatalog } from "../../server/routing/catalog.ts";
import { type Connect, Dialer } from "../../server/routing/dialer.ts";
import { RouteHealth } from "../../server/routing/health.ts";
import type { RouteTarget } from "../../server/routing/planner.ts";
import { ManualClock } from "../support/clock.ts";

const catalog = new ModelCatalog(loadPriceBook());

function target(id: string): RouteTarget {
  const info = catalog.find(id);
  if (!info) throw new Error(`${id} is not in the catalog`);
  return { info, maxTokens: 100 };
}

const MINI = target("openai/gpt-4o-mini");
const DEEPSEEK = target("deepseek/deepseek-chat");
const MESSAGES = [{ role: "user" as const, content: "ping" }];

async function* answer(text: string): AsyncIterable<ProviderEvent> {
  yield { type: "text-delta", text };
}

/** A transport that plays one scripted outcome per call and records each call. */
function scripted(...outcomes: (Error | "ok" | "hang")[]) {
  const calls: { provider: ProviderId; call: ProviderCall }[] = [];
  const connect: Connect = (provider, call, signal) => {
    calls.push({ provider, call });
    const outcome = outcomes.shift() ?? "ok";
    if (outcome === "ok") return Promise.resolve(answer(`from ${provider}`));
    if (outcome === "hang") {
      return new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    }
    return Promise.reject(outcome);
  };
  return { calls, connect };
}

function dialer(connect: Connect, clock = new ManualClock(), breakerFailures = 5) {
  const health = new RouteHealth(
    { breakerFailureThreshold: breakerFailures, breakerCooldownMs: 30_000 },
    clock,
  );
  const dial = new Dialer(connect, health, clock, {
    retry: { attempts: 3, baseDelayMs: 250, maxDelayMs: 8000 },
    firstByteTimeoutMs: 1000,
    random: () => 0.5,
  });
  return { dial, health, clock };
}

const busy = () => new ProviderServerError("overloaded", { provider: "openai" });

describe("the dialer", () => {
  it("retries a retryable failure with jittered backoff, on the injected clock", async () => {
    const transport = scripted(busy(), busy(), "ok");
    const { dial, clock } = dialer(transport.connect);
    const opened = await dial.dial([MINI], MESSAGES, undefined, new AbortController().signal);
    expect(opened.attempts).toBe(3);
    expect(opened.target.info.id).toBe("openai/gpt-4o-mini");
    // Full jitter at 0.5: half of 250, then half of 500.
    expect(clock.slept).toEqual([125, 250]);
    expect(transport.calls[0]?.call).toMatchObject({ model: "gpt-4o-mini", maxTokens: 100 });
  });

  it("waits the provider's retry-after, and fails over when it asks for too long", async () => {
    const short = new ProviderRateLimitError("slow down", {
      provider: "openai",
      retryAfterMs: 1500,
    });
    const first = scripted(short, "ok");
    const one = dialer(first.connect);
    await one.dial.dial([MINI], MESSAGES, undefined, new AbortController().signal);
    expect(one.clock.slept).toEqual([1500]);

    const long = new ProviderRateLimitError("come back tomorrow", {
      provider: "openai",
      retryAfterMs: 60_000,
    });
    const second = scripted(long, "ok");
    const two = dialer(second.connect);
    const opened = await two.dial.dial(
      [MINI, DEEPSEEK],
      MESSAGES,
      undefined,
      new AbortController().signal,
    );
    expect(opened.target.info.id).toBe("deepseek/deepseek-chat");
    expect(two.clock.slept).toEqual([]);
  });

  it("does not retry a failure that is not retryable, and tries the next target", async () => {
    const auth = new ProviderAuthError("bad key", { provider: "openai" });
    const transport = scripted(auth, "ok");
    const { dial } = dialer(transport.connect);
    const opened = await dial.dial(
      [MINI, DEEPSEEK],
      MESSAGES,
      undefined,
      new AbortController().signal,
    );
    expect(transport.calls.map((call) => call.provider)).toEqual(["openai", "deepseek"]);
    expect(opened.attempts).toBe(2);
  });

  it("turns a silent provider into a first-byte time-out when the clock passes it", async () => {
    const transport = scripted("hang", "ok");
    const { dial, clock } = dialer(transport.connect);
    const opening = dial.dial([MINI], MESSAGES, undefined, new AbortController().signal);
    await Promise.resolve();
    clock.advance(999);
    expect(transport.calls).toHaveLength(1);
    clock.advance(1);
    const opened = await opening;
    expect(opened.attempts).toBe(2);
  });

  it("gives up with the last failure once every attempt timed out", async () => {
    const transport = scripted("hang", "hang", "hang");
    const { dial, clock } = dialer(transport.connect);
    const opening = dial.dial([MINI], MESSAGES, undefined, new AbortController().signal);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(1000);
    }
    await expect(opening).rejects.toBeInstanceOf(ProviderConnectionError);
    await expect(opening).rejects.toThrow("sent no response within 1000 ms");
  });

  it("opens a failing target's circuit: the next dial skips it without calling it", async () => {
    const transport = scripted(busy(), busy(), "ok");
    const { dial, health } = dialer(transport.connect, new ManualClock(), 2);
    await dial.dial([MINI, DEEPSEEK], MESSAGES, undefined, new AbortController().signal);
    expect(transport.calls.map((call) => call.provider)).toEqual(["openai", "openai", "deepseek"]);
    expect(health.of("openai/gpt-4o-mini").circuitClosed).toBe(false);
    await dial.dial([MINI, DEEPSEEK], MESSAGES, undefined, new AbortController().signal);
    expect(transport.calls.map((call) => call.provider)).toEqual([
      "openai",
      "openai",
      "deepseek",
      "deepseek",
    ]);
  });

  it("lets the next call be the trial when a half-open trial ends with the client gone or a refusal", async () => {
    const auth = new ProviderAuthError("bad key", { provider: "openai" });
    const transport = scripted(busy(), "hang", auth, "ok");
    const clock = new ManualClock();
    const { dial, health } = dialer(transport.connect, clock, 1);
    const signal = () => new AbortController().signal;
    // One failure opens the circuit; after the cool-down the next call is the trial.
    await expect(dial.dial([MINI], MESSAGES, undefined, signal())).rejects.toThrow("overloaded");
    clock.advance(30_000);
    const client = new AbortController();
    const gone = dial.dial([MINI], MESSAGES, undefined, client.signal);
    await Promise.resolve();
    client.abort(new Error("the client went away"));
    await expect(gone).rejects.toThrow("the client went away");
    // The trial that ended with the client says nothing of the target: the next call tries it.
    await expect(dial.dial([MINI], MESSAGES, undefined, signal())).rejects.toBeInstanceOf(
      ProviderAuthError,
    );
    // A refusal of the request itself neither: the next call is the trial again, and succeeds.
    const opened = await dial.dial([MINI], MESSAGES, undefined, signal());
    expect(opened.target.info.id).toBe("openai/gpt-4o-mini");
    expect(health.of("openai/gpt-4o-mini").circuitClosed).toBe(true);
    expect(transport.calls).toHaveLength(4);
  });

  it("stops at once when the client goes away mid-way", async () => {
    const transport = scripted("hang");
    const { dial } = dialer(transport.connect);
    const client = new AbortController();
    const opening = dial.dial([MINI], MESSAGES, undefined, client.signal);
    await Promise.resolve();
    client.abort(new Error("the client went away"));
    await expect(opening).rejects.toThrow("the client went away");
    expect(transport.calls).toHaveLength(1);
  });
});
