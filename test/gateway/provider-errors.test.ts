import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../server/app.ts";
import { loadConfig } from "../../server/config.ts";
import { signedHeaders } from "../../server/http/signature.ts";
import { createServices, type Services } from "../../server/services.ts";
import { readEvents } from "../support/gateway.ts";

/** What a provider might say: a masked key and an internal address. */
const LEAK = "Incorrect API key sk-abc...xyz for proxy at http://10.1.2.3:8080";

type Failure = "refuse-400" | "refuse-503" | "in-band-error";

/** An OpenAI-style provider that fails each request in the way it was told. */
async function startFailingProvider(next: () => Failure): Promise<{ url: string; server: Server }> {
  const server = createServer(async (request, response) => {
    for await (const _ of request) {
      // Read the body to the end before answering.
    }
    const failure = next();
    if (failure !== "in-band-error") {
      response.writeHead(failure === "refuse-400" ? 400 : 503, {
        "Content-Type": "application/json",
      });
      response.end(JSON.stringify({ error: { message: LEAK, type: "invalid_request_error" } }));
      return;
    }
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    const chunk = {
      id: "chatcmpl-leak",
      object: "chat.completion.chunk",
      created: 1,
      model: "gpt-4o-mini",
      choices: [{ index: 0, delta: { content: "Half an answer" }, finish_reason: null }],
    };
    response.write(`data: ${JSON.stringify(chunk)}\n\n`);
    response.end(`data: ${JSON.stringify({ error: { message: LEAK } })}\n\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server };
}

/** A port nothing listens on: connecting to it fails with the address in the error. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

let failure: Failure = "refuse-400";
let provider: { url: string; server: Server };
let services: Services;
let gateway: Server;
let gatewayUrl: string;
let secret: string;
let dir: string;
/** Every line the gateway logged, as JSON text. */
const logged: string[] = [];

beforeAll(async () => {
  provider = await startFailingProvider(() => failure);
  const unreachable = await closedPort();
  dir = mkdtempSync(join(tmpdir(), "sluice-errors-"));
  services = createServices(
    loadConfig({
      SLUICE_DATA_DIR: dir,
      SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
      SLUICE_OPENAI_BASE_URL: provider.url,
      SLUICE_DEEPSEEK_API_KEY: "sk-test-0123456789",
      SLUICE_DEEPSEEK_BASE_URL: `http://127.0.0.1:${unreachable}/v1`,
      SLUICE_RETRY_ATTEMPTS: "1",
      SLUICE_BREAKER_FAILURES: "1000",
    }),
  );
  secret = services.sites.add("leak-site");
  const logger = pino({ level: "info" }, { write: (line: string) => logged.push(line) });
  gateway = createServer(createApp(services, logger));
  await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});
afterAll(async () => {
  gateway.closeAllConnections();
  await new Promise<void>((resolve) => gateway.close(() => resolve()));
  await Promise.all(services.inflight);
  services.settlements.flush();
  services.close();
  provider.server.closeAllConnections();
  await new Promise<void>((resolve) => provider.server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  logged.length = 0;
});

function chat(extra: Record<string, unknown> = {}): Promise<Response> {
  const body = JSON.stringify({
    messages: [{ role: "user", content: "ping" }],
    model: "openai/gpt-4o-mini",
    ...extra,
  });
  const headers = signedHeaders({
    siteId: "leak-site",
    secret,
    method: "POST",
    path: "/v1/chat",
    body,
  });
  return fetch(`${gatewayUrl}/v1/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body,
  });
}

/** The log lines of one request, parsed. */
function logOf(requestId: string): Record<string, unknown>[] {
  return logged
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.requestId === requestId);
}

describe("a provider's error text stays in the gateway log", () => {
  it.each([
    { failure: "refuse-400" as const, status: 502, code: "provider_bad_request" },
    { failure: "refuse-503" as const, status: 503, code: "provider_unavailable" },
  ])("envelope of a $failure: code and fixed message, not the provider's text", async (row) => {
    failure = row.failure;
    const response = await chat();
    const text = await response.text();
    expect(response.status).toBe(row.status);
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    expect(error.code).toBe(row.code);
    expect(error.message).toMatch(/^the model provider /);
    expect(text).not.toContain("sk-abc");
    expect(text).not.toContain("10.1.2.3");
    const requestId = response.headers.get("x-request-id") ?? "";
    const lines = logOf(requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, code: row.code, provider: "openai" });
    expect(String(lines[0]?.detail)).toContain(LEAK);
  });

  it("in-stream error frame: code and fixed message, not the provider's text", async () => {
    failure = "in-band-error";
    const response = await chat();
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id") ?? "";
    const events = await readEvents(response);
    expect(events.map((event) => event.event ?? event.json?.type ?? event.data)).toEqual([
      "usage_start",
      "content",
      "error",
      "usage_final",
      "[DONE]",
    ]);
    const frame = events.find((event) => event.event === "error");
    expect(frame?.json).toEqual({
      type: "error",
      code: "provider_stream_error",
      message: "the model provider broke off the answer; try again",
    });
    expect(JSON.stringify(events)).not.toContain("sk-abc");
    expect(JSON.stringify(events)).not.toContain("10.1.2.3");
    const lines = logOf(requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ code: "provider_stream_error", siteId: "leak-site" });
    expect(String(lines[0]?.detail)).toContain(LEAK);
  });

  it("buffered answer that failed mid-way: the same fixed message in its envelope", async () => {
    failure = "in-band-error";
    const response = await chat({ stream: false });
    const text = await response.text();
    expect(response.status).toBe(502);
    expect(JSON.parse(text)).toMatchObject({
      error: {
        code: "provider_stream_error",
        message: "the model provider broke off the answer; try again",
      },
    });
    expect(text).not.toContain("sk-abc");
    const requestId = response.headers.get("x-request-id") ?? "";
    expect(String(logOf(requestId)[0]?.detail)).toContain(LEAK);
  });

  it("an unreachable provider: the envelope does not name its address", async () => {
    const response = await chat({ model: "deepseek/deepseek-chat" });
    const text = await response.text();
    expect(response.status).toBe(504);
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    expect(error).toMatchObject({
      code: "provider_unreachable",
      message: "the model provider could not be reached; try again",
    });
    expect(text).not.toContain("127.0.0.1");
    const requestId = response.headers.get("x-request-id") ?? "";
    expect(logOf(requestId)[0]).toMatchObject({ code: "provider_unreachable" });
  });

  it("the admin's request list keeps the provider's text (signed /v1/requests, JSON and CSV)", async () => {
    for (const next of ["refuse-503", "in-band-error"] as const) {
      failure = next;
      const response = await chat();
      await response.text();
      const requestId = response.headers.get("x-request-id") ?? "";
      await Promise.all(services.inflight);
      const stored = services.db
        .prepare("SELECT error_code, error_message FROM requests WHERE id = ?")
        .get(requestId) as { error_code: string; error_message: string };
      expect(stored.error_message).toContain(LEAK);
      const headers = signedHeaders({
        siteId: "leak-site",
        secret,
        method: "GET",
        path: "/v1/requests?limit=1",
        body: "",
      });
      const listed = (await (
        await fetch(`${gatewayUrl}/v1/requests?limit=1`, { headers })
      ).json()) as { data: { id: string; error_message: string }[] };
      expect(listed.data[0]).toMatchObject({ id: requestId });
      expect(listed.data[0]?.error_message).toContain(LEAK);
    }
  });

  it("the gateway's own refusals keep their words", async () => {
    const response = await chat({ max_tokens: 0 });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { message: string } };
    expect(error.message).toBe("max_tokens: must be at least 1");
  });
});
