import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProviderEvent } from "../../../server/providers/types.ts";
import { adapterFor, chatCall, fixtures, openError } from "./harness.ts";
import { startWireServer, type WireServer } from "./server.ts";
import { WIRE_PROVIDERS } from "./wire-profiles.ts";

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
});

describe.each(WIRE_PROVIDERS)("%s: abort", (provider) => {
  it("mid-stream: the iterator ends with an AbortError and the upstream socket closes", async () => {
    // The server sends the first lines, then holds the stream open.
    server.script({
      kind: "stream",
      provider,
      fixture: fixtures[provider].name,
      fault: { type: "stall", afterEvents: fixtures[provider].throughFirstText },
    });
    const controller = new AbortController();
    const events = await adapterFor(server, provider).open(chatCall(), controller.signal);
    const received = server.received.at(-1);
    const seen: ProviderEvent[] = [];
    let thrown: unknown;
    try {
      for await (const event of events) {
        seen.push(event);
        if (event.type === "text-delta") controller.abort();
      }
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).name).toBe("AbortError");
    // Nothing after the abort.
    expect(seen.filter((event) => event.type === "text-delta")).toHaveLength(1);
    expect(seen.some((event) => event.type === "finish")).toBe(false);
    await expect(received?.closed).resolves.toEqual({ beforeEnd: true });
  });
});

describe("abort around open()", () => {
  it("while waiting for the headers: open() rejects with an AbortError and the socket closes", async () => {
    server.script({
      kind: "stream",
      provider: "openai",
      fixture: fixtures.openai.name,
      headersDelayMs: 5_000,
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await openError(adapterFor(server, "openai"), controller.signal);
    expect((error as Error).name).toBe("AbortError");
    await expect(server.received.at(-1)?.closed).resolves.toEqual({ beforeEnd: true });
  });

  it("an already aborted signal: AbortError, and no request is sent", async () => {
    const before = server.received.length;
    const controller = new AbortController();
    controller.abort();
    const error = await openError(adapterFor(server, "xai"), controller.signal);
    expect((error as Error).name).toBe("AbortError");
    expect(server.received.length).toBe(before);
  });

  it("the abort reason is kept when it is an AbortError itself", async () => {
    const controller = new AbortController();
    const reason = new DOMException("visitor left", "AbortError");
    controller.abort(reason);
    const error = await openError(adapterFor(server, "mistral"), controller.signal);
    expect(error).toBe(reason);
  });

  it("a caller that stops iterating closes the upstream too", async () => {
    server.script({
      kind: "stream",
      provider: "qwen",
      fixture: fixtures.qwen.name,
      fault: { type: "stall", afterEvents: 3 },
    });
    const events = await adapterFor(server, "qwen").open(chatCall(), new AbortController().signal);
    const received = server.received.at(-1);
    for await (const event of events) {
      if (event.type === "text-delta") break;
    }
    await expect(received?.closed).resolves.toEqual({ beforeEnd: true });
  });
});
