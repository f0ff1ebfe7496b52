import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forEachMessage, startTestGateway, type TestGateway } from "../support/gateway.ts";

/**
 * usage_start is held back to leave with the first content in one write; it
 * must never wait for that content. This upstream answers with its headers at
 * once and sends its first chunk only FIRST_CHUNK_MS later.
 */
const FIRST_CHUNK_MS = 400;

let upstream: Server;
let gateway: TestGateway;

beforeAll(async () => {
  upstream = createServer(async (request, response) => {
    for await (const _ of request) {
      // Read the body before answering.
    }
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    response.flushHeaders();
    const frame = (payload: object) => `data: ${JSON.stringify(payload)}\n\n`;
    const base = { id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini" };
    setTimeout(() => {
      response.write(
        frame({
          ...base,
          choices: [{ index: 0, delta: { content: "late" }, finish_reason: null }],
        }),
      );
      response.write(frame({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }));
      response.write(
        frame({
          ...base,
          choices: [],
          usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
        }),
      );
      response.end("data: [DONE]\n\n");
    }, FIRST_CHUNK_MS);
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const { port } = upstream.address() as AddressInfo;
  gateway = await startTestGateway({
    SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
    SLUICE_OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
  });
});

afterAll(async () => {
  await gateway.stop();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

describe("the first frames", () => {
  it("usage_start reaches the client as soon as the provider accepted, not with the first content", async () => {
    const started = performance.now();
    const response = await gateway.request("/v1/chat", {
      body: { messages: [{ role: "user", content: "hi" }], model: "openai/gpt-4o-mini" },
    });
    expect(response.status).toBe(200);
    const arrivals: { event: string; at: number }[] = [];
    await forEachMessage(response, (message) => {
      const type = message.event ?? (message.data === "[DONE]" ? "done" : "content");
      arrivals.push({ event: type, at: performance.now() - started });
    });
    expect(arrivals.map((arrival) => arrival.event)).toEqual([
      "usage_start",
      "content",
      "usage_final",
      "done",
    ]);
    const [usageStart, content] = arrivals;
    // The content waited for the upstream; usage_start did not.
    expect((content?.at ?? 0) - (usageStart?.at ?? 0)).toBeGreaterThan(FIRST_CHUNK_MS / 2);
  });
});
