import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { createParser } from "eventsource-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encodeTicket,
  issueTicket,
  openTicketBody,
  parseTicket,
  sealTicketBody,
  type TicketPayload,
  ticketMac,
} from "../../server/http/ticket.ts";
import {
  chatBody,
  type ParsedEvent,
  readEvents,
  startTestGateway,
  type TestGateway,
  toParsed,
} from "../support/gateway.ts";
import { type PacedProvider, startPacedProvider } from "../support/paced-provider.ts";

/** The vector the plugin's PHP is checked against too. */
const vector = JSON.parse(
  readFileSync(new URL("../fixtures/ticket-vector.json", import.meta.url), "utf8"),
) as {
  secret: string;
  payload: TicketPayload;
  payload_json: string;
  encoded_payload: string;
  mac_input: string;
  mac: string;
  ticket: string;
  body: string;
  iv_hex: string;
  sealed: string;
  request_body: string;
};

const PAGE_ORIGIN = "https://blog.example";
const DIRECT_PATH = "/v1/direct/chat";

interface DirectInit {
  /** The Origin header; null sends none. Default: the ticket's origin. */
  origin?: string | null;
  /** What the ticket says and how it is made. */
  ticket?: { origin?: string; now?: number; nonce?: string; secret?: string; siteId?: string };
  /** Sends this ticket and body as they are (a replay, a swap). */
  as?: { ticket: string; requestBody: string };
  signal?: AbortSignal;
}

interface Ticketed {
  ticket: string;
  requestBody: string;
}

function ticketFor(target: TestGateway, body: object, init: DirectInit = {}): Ticketed {
  return issueTicket({
    siteId: init.ticket?.siteId ?? target.siteId,
    secret: init.ticket?.secret ?? target.secret,
    origin: init.ticket?.origin ?? PAGE_ORIGIN,
    body: JSON.stringify(body),
    ...(init.ticket?.now === undefined ? {} : { now: init.ticket.now }),
    ...(init.ticket?.nonce === undefined ? {} : { nonce: init.ticket.nonce }),
  });
}

/** POST /v1/direct/chat as the visitor's browser sends it: the ticket, Origin, the sealed body. */
function direct(target: TestGateway, body: object, init: DirectInit = {}): Promise<Response> {
  const { ticket, requestBody } = init.as ?? ticketFor(target, body, init);
  const origin = init.origin === undefined ? (init.ticket?.origin ?? PAGE_ORIGIN) : init.origin;
  return fetch(`${target.url}${DIRECT_PATH}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Sluice-Ticket": ticket,
      ...(origin === null ? {} : { Origin: origin }),
    },
    body: requestBody,
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

interface LedgerRow {
  site_id: string;
  status: string;
  visitor: string | null;
  output_tokens: number;
  input_tokens: number;
  cost_picousd: number;
  finish_reason: string | null;
}

async function settledRow(target: TestGateway, requestId: string): Promise<LedgerRow> {
  const query = target.services.db.prepare("SELECT * FROM requests WHERE id = ?");
  for (let i = 0; i < 200; i += 1) {
    const row = query.get(requestId) as LedgerRow | undefined;
    if (row && row.status !== "open") return row;
    await delay(20);
  }
  throw new Error(`request ${requestId} never settled`);
}

function kinds(events: ParsedEvent[]): string[] {
  return events.map((event) => event.event ?? String(event.json?.type ?? event.data));
}

describe("the chat ticket (test/fixtures/ticket-vector.json)", () => {
  it("is made as the vector says, which the plugin's PHP checks too", () => {
    expect(Buffer.from(vector.payload_json, "utf8").toString("base64url")).toBe(
      vector.encoded_payload,
    );
    expect(vector.mac_input).toBe(`ticket.v1.${vector.encoded_payload}`);
    expect(ticketMac(vector.secret, vector.encoded_payload)).toBe(vector.mac);
    expect(encodeTicket(vector.secret, vector.payload)).toBe(vector.ticket);
    expect(vector.ticket).toBe(`v1.${vector.encoded_payload}.${vector.mac}`);
    const parsed = parseTicket(vector.ticket);
    expect(parsed).toEqual({
      encodedPayload: vector.encoded_payload,
      mac: vector.mac,
      payload: vector.payload,
    });
    const iv = Buffer.from(vector.iv_hex, "hex");
    expect(sealTicketBody(vector.secret, vector.encoded_payload, vector.body, iv)).toBe(
      vector.sealed,
    );
    expect(JSON.stringify({ sealed: vector.sealed })).toBe(vector.request_body);
    expect(openTicketBody(vector.secret, vector.encoded_payload, vector.sealed)?.toString()).toBe(
      vector.body,
    );
  });

  it("opens a sealed body only with its own ticket, secret and bytes", () => {
    const other = encodeTicket(vector.secret, { ...vector.payload, nonce: "ponmlkjihgfedcba" });
    const otherPayload = other.split(".")[1] ?? "";
    expect(openTicketBody(vector.secret, otherPayload, vector.sealed)).toBeUndefined();
    expect(openTicketBody("x".repeat(43), vector.encoded_payload, vector.sealed)).toBeUndefined();
    const flipped = `${vector.sealed.slice(0, 30)}${vector.sealed[30] === "A" ? "B" : "A"}${vector.sealed.slice(31)}`;
    expect(openTicketBody(vector.secret, vector.encoded_payload, flipped)).toBeUndefined();
    expect(openTicketBody(vector.secret, vector.encoded_payload, "short")).toBeUndefined();
  });

  it("takes apart only a well-formed payload", () => {
    const make = (payload: Record<string, unknown>) =>
      `v1.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${"0".repeat(64)}`;
    const problems = [
      "v1.abc",
      `v2.${vector.encoded_payload}.${vector.mac}`,
      make({ ...vector.payload, extra: 1 }),
      make({ ...vector.payload, nonce: "short" }),
      make({ ...vector.payload, exp: vector.payload.iat + 61 }),
      make({ ...vector.payload, exp: vector.payload.iat }),
      make({ ...vector.payload, iat: 1.5 }),
      make({ ...vector.payload, origin: "https://Blog.example" }),
      make({ ...vector.payload, origin: "https://blog.example/" }),
      make({ ...vector.payload, origin: "https://blog.example:443" }),
      make({ ...vector.payload, origin: "null" }),
    ].map((header) => parseTicket(header));
    for (const result of problems) expect(result).toHaveProperty("problem");
  });
});

describe("POST /v1/direct/chat", () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop());

  it("streams a chat for a valid ticket and bills it as it bills a signed request", async () => {
    const body = chatBody("Hello there", { user: "v_direct_visitor" });
    const response = await direct(gateway, body);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const requestId = response.headers.get("x-request-id") ?? "";
    expect(requestId).toMatch(/^req_/);
    const events = await readEvents(response);
    expect(kinds(events)[0]).toBe("usage_start");
    expect(kinds(events).slice(-2)).toEqual(["usage_final", "[DONE]"]);
    const answer = events
      .filter((event) => event.json?.type === "content")
      .map((event) => event.json?.data)
      .join("");
    expect(answer.length).toBeGreaterThan(0);
    const final = events.at(-2)?.json ?? {};
    expect(final.request_id).toBe(requestId);

    const signedEvents = await readEvents(await gateway.request("/v1/chat", { body }));
    const signedFinal = signedEvents.at(-2)?.json ?? {};
    const signedAnswer = signedEvents
      .filter((event) => event.json?.type === "content")
      .map((event) => event.json?.data)
      .join("");
    expect(answer).toBe(signedAnswer);
    for (const field of ["input_tokens", "output_tokens", "cost_picousd", "usage_source"]) {
      expect(final[field], field).toEqual(signedFinal[field]);
    }
    const row = await settledRow(gateway, requestId);
    const signedRow = await settledRow(gateway, String(signedFinal.request_id));
    expect(row).toMatchObject({
      site_id: gateway.siteId,
      status: "ok",
      visitor: "v_direct_visitor",
      cost_picousd: final.cost_picousd,
    });
    expect(row.cost_picousd).toBe(signedRow.cost_picousd);
    expect(row.cost_picousd).toBeGreaterThan(0);
  });

  it("answers a buffered chat too", async () => {
    const response = await direct(gateway, chatBody("Hello there", { stream: false }));
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { content: string; usage: { cost_usd: number } };
    expect(answer.content.length).toBeGreaterThan(0);
    expect(answer.usage.cost_usd).toBeGreaterThan(0);
  });

  it("refuses a replayed ticket", async () => {
    const ticketed = ticketFor(gateway, chatBody("once", { stream: false }));
    expect((await direct(gateway, {}, { as: ticketed })).status).toBe(200);
    const replay = await direct(gateway, {}, { as: ticketed });
    expect(replay.status).toBe(401);
    expect((await errorOf(replay)).code).toBe("ticket_reused");
  });

  it("refuses an expired ticket", async () => {
    const response = await direct(gateway, chatBody(), { ticket: { now: Date.now() - 61_000 } });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("ticket_expired");
  });

  it("refuses a ticket whose headers came in time but whose body came after it expired", async () => {
    // Made 58.5 s ago: it expires about 1.5 s from now.
    const { ticket, requestBody } = ticketFor(gateway, chatBody("late"), {
      ticket: { now: Date.now() - 58_500 },
    });
    const { port } = new URL(gateway.url);
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    let answer = "";
    socket.on("data", (part: Buffer) => {
      answer += part.toString();
    });
    socket.write(
      `POST ${DIRECT_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Origin: ${PAGE_ORIGIN}\r\nX-Sluice-Ticket: ${ticket}\r\n` +
        `Content-Length: ${Buffer.byteLength(requestBody)}\r\nConnection: close\r\n\r\n`,
    );
    await delay(2500);
    socket.end(requestBody);
    await new Promise((resolve) => socket.once("close", resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toContain('"code":"ticket_expired"');
  });

  it("refuses a body changed or swapped for another ticket's", async () => {
    const first = ticketFor(gateway, chatBody("first"));
    const second = ticketFor(gateway, chatBody("second"));
    const swapped = await direct(
      gateway,
      {},
      {
        as: { ticket: first.ticket, requestBody: second.requestBody },
      },
    );
    expect(swapped.status).toBe(401);
    expect((await errorOf(swapped)).code).toBe("ticket_body_mismatch");

    const { sealed } = JSON.parse(first.requestBody) as { sealed: string };
    const changed = `${sealed.slice(0, -4)}${sealed.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    const tampered = await direct(
      gateway,
      {},
      {
        as: { ticket: first.ticket, requestBody: JSON.stringify({ sealed: changed }) },
      },
    );
    expect(tampered.status).toBe(401);
    expect((await errorOf(tampered)).code).toBe("ticket_body_mismatch");

    // The refused attempts did not use the ticket up: with its own body it still works.
    const own = await direct(gateway, {}, { as: first });
    expect(own.status).toBe(200);
    await own.body?.cancel();
  });

  it("refuses a ticket that is missing, malformed, forged or lives too long", async () => {
    const missing = await fetch(`${gateway.url}${DIRECT_PATH}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: PAGE_ORIGIN },
      body: JSON.stringify(chatBody()),
    });
    expect(missing.status).toBe(401);
    expect((await errorOf(missing)).code).toBe("ticket_missing");

    const forged = await direct(gateway, chatBody(), { ticket: { secret: "f".repeat(43) } });
    expect(forged.status).toBe(401);
    expect((await errorOf(forged)).code).toBe("ticket_invalid");

    const garbage = await direct(
      gateway,
      {},
      {
        as: { ticket: "v1.not-a-ticket", requestBody: "{}" },
      },
    );
    expect(garbage.status).toBe(401);
    expect((await errorOf(garbage)).code).toBe("ticket_invalid");

    const iat = Math.floor(Date.now() / 1000);
    const longLived = encodeTicket(gateway.secret, {
      site: gateway.siteId,
      nonce: "long-lived-ticket-0001",
      iat,
      exp: iat + 3600,
      origin: PAGE_ORIGIN,
    });
    const tooLong = await direct(gateway, {}, { as: { ticket: longLived, requestBody: "{}" } });
    expect(tooLong.status).toBe(401);
    expect((await errorOf(tooLong)).code).toBe("ticket_invalid");

    const early = await direct(gateway, chatBody(), { ticket: { now: Date.now() + 120_000 } });
    expect(early.status).toBe(401);
    expect((await errorOf(early)).code).toBe("ticket_invalid");
  });

  it("refuses a request from another origin than the ticket's, or with no Origin", async () => {
    const foreign = await direct(gateway, chatBody(), { origin: "https://evil.example" });
    expect(foreign.status).toBe(401);
    expect((await errorOf(foreign)).code).toBe("origin_mismatch");

    const absent = await direct(gateway, chatBody(), { origin: null });
    expect(absent.status).toBe(401);
    expect((await errorOf(absent)).code).toBe("origin_mismatch");

    const opaque = await direct(gateway, chatBody(), { origin: "null" });
    expect(opaque.status).toBe(401);
    expect((await errorOf(opaque)).code).toBe("origin_mismatch");
  });

  it("refuses a ticket for an unknown site on its headers, before the body is read", async () => {
    const { ticket } = ticketFor(gateway, chatBody(), { ticket: { siteId: "no-such-site" } });
    const started = performance.now();
    const received = await new Promise<string>((resolve) => {
      const socket = connect(gateway.port, "127.0.0.1");
      let text = "";
      socket.setEncoding("utf8");
      socket.on("data", (part: string) => {
        text += part;
        if (text.includes("\r\n\r\n") && text.includes("}")) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(text));
      // Announces 500 KB and sends none of it: only the head can have been read.
      socket.write(
        [
          `POST ${DIRECT_PATH} HTTP/1.1`,
          `Host: 127.0.0.1:${gateway.port}`,
          "Content-Type: application/json",
          "Content-Length: 500000",
          `Origin: ${PAGE_ORIGIN}`,
          `X-Sluice-Ticket: ${ticket}`,
          "",
          "",
        ].join("\r\n"),
      );
    });
    expect(received).toMatch(/^HTTP\/1\.1 401 /);
    expect(received).toContain('"code":"unknown_site"');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("tells the visitor a fixed sentence per refusal, never the gateway's words", async () => {
    gateway.services.policies.set(gateway.siteId, "site", {
      ...gateway.services.policies.get(gateway.siteId, "site"),
      models: ["demo/sluice-demo"],
    });
    try {
      const refused = await direct(gateway, chatBody("hi", { model: "openai/gpt-4o-mini" }));
      expect(refused.status).toBe(403);
      const error = await errorOf(refused);
      expect(error.code).toBe("model_not_allowed");
      expect(error.message).not.toContain("demo/sluice-demo");
      expect(error.message).not.toContain("gpt-4o-mini");

      const tooLong = await direct(gateway, chatBody("hi", { max_tokens: 1_000_000 }));
      expect(tooLong.status).toBe(400);
      const invalid = await errorOf(tooLong);
      expect(invalid.code).toBe("invalid_request");
      expect(invalid.message).not.toMatch(/max_tokens|sluice-demo|\d{4}/);
    } finally {
      gateway.services.policies.set(gateway.siteId, "site", {
        ...gateway.services.policies.get(gateway.siteId, "site"),
        models: null,
      });
    }
    // The signed route keeps its words for the site.
    const signed = await gateway.request("/v1/chat", { body: chatBody("hi", { max_tokens: 1e6 }) });
    expect((await errorOf(signed)).message).toContain("max_tokens");
  });

  it("opens no other route to a ticket: usage, policy and the signed chat want the signature", async () => {
    const { ticket, requestBody } = ticketFor(gateway, chatBody());
    const headers = { "X-Sluice-Ticket": ticket, Origin: PAGE_ORIGIN };
    for (const path of ["/v1/usage", "/v1/policy", "/v1/models", "/v1/requests"]) {
      const response = await fetch(`${gateway.url}${path}`, { headers });
      expect(response.status, path).toBe(401);
      expect((await errorOf(response)).code, path).toBe("signature_missing");
    }
    const chat = await fetch(`${gateway.url}/v1/chat`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: requestBody,
    });
    expect(chat.status).toBe(401);
    expect((await errorOf(chat)).code).toBe("signature_missing");
    const put = await fetch(`${gateway.url}/v1/policy`, {
      method: "PUT",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ day_usd: 1000 }),
    });
    expect(put.status).toBe(401);
  });
});

describe("CORS on /v1/direct/chat", () => {
  let gateway: TestGateway;
  const ALLOWED = "https://blog.example";
  const FOREIGN = "https://elsewhere.example";

  beforeAll(async () => {
    gateway = await startTestGateway();
    gateway.services.sites.setOrigins(gateway.siteId, [ALLOWED]);
  });
  afterAll(() => gateway.stop());

  function preflight(origin: string): Promise<Response> {
    return fetch(`${gateway.url}${DIRECT_PATH}`, {
      method: "OPTIONS",
      headers: {
        Origin: origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-sluice-ticket",
      },
    });
  }

  it("answers the preflight of an origin a site lists", async () => {
    const response = await preflight(ALLOWED);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(response.headers.get("access-control-allow-methods")).toBe("POST");
    expect(response.headers.get("access-control-allow-headers")).toBe(
      "content-type, x-sluice-ticket",
    );
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);
  });

  it("lets the listed origin read the chat and its refusals", async () => {
    const response = await direct(gateway, chatBody("Hello", { stream: false }), {
      ticket: { origin: ALLOWED },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(response.headers.get("access-control-expose-headers")).toBe("x-request-id, retry-after");
    expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);
    await response.body?.cancel();

    const streamed = await direct(gateway, chatBody("Hello"), { ticket: { origin: ALLOWED } });
    expect(streamed.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    await readEvents(streamed);

    const expired = await direct(gateway, chatBody(), {
      ticket: { origin: ALLOWED, now: Date.now() - 120_000 },
    });
    expect(expired.status).toBe(401);
    expect(expired.headers.get("access-control-allow-origin")).toBe(ALLOWED);
  });

  it("sends no CORS headers to an origin no site lists", async () => {
    const response = await preflight(FOREIGN);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-headers")).toBeNull();
    expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);

    // A ticket the site made for that origin still runs (same-origin needs no listing) …
    const chat = await direct(gateway, chatBody("Hello", { stream: false }), {
      ticket: { origin: FOREIGN },
    });
    expect(chat.status).toBe(200);
    // … but a page on another origin than the gateway's could not read it.
    expect(chat.headers.get("access-control-allow-origin")).toBeNull();
    await chat.body?.cancel();
  });

  it("refuses an origin list with anything but origins as browsers send them", () => {
    const sites = gateway.services.sites;
    for (const bad of ["https://blog.example/", "https://Blog.example", "blog.example", "*"]) {
      expect(() => sites.setOrigins(gateway.siteId, [bad]), bad).toThrow(/not an origin/);
    }
    expect(() => sites.setOrigins("no-such-site", [ALLOWED])).toThrow(/no site/);
    expect(sites.origins(gateway.siteId)).toEqual([ALLOWED]);
  });
});

describe("Stop on a direct chat", () => {
  let provider: PacedProvider;
  let gateway: TestGateway;

  beforeAll(async () => {
    provider = await startPacedProvider(Number.POSITIVE_INFINITY, 20);
    gateway = await startTestGateway({
      SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
      SLUICE_OPENAI_BASE_URL: provider.baseUrl,
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await provider.close();
  });

  it("closes the provider's connection when the browser aborts, and bills what came", async () => {
    const controller = new AbortController();
    const response = await direct(
      gateway,
      { messages: [{ role: "user", content: "tell me a story" }], model: "openai/gpt-4o-mini" },
      { signal: controller.signal },
    );
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id") ?? "";
    const events: ParsedEvent[] = [];
    const parser = createParser({ onEvent: (message) => events.push(toParsed(message)) });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    while (events.filter((event) => event.json?.type === "content").length < 3) {
      const { value } = await reader.read();
      parser.feed(decoder.decode(value, { stream: true }));
    }
    controller.abort();
    expect(await provider.closed[0]).toBe(true);
    const row = await settledRow(gateway, requestId);
    expect(row.status).toBe("aborted");
    expect(row.finish_reason).toBe("aborted");
    expect(row.output_tokens).toBeGreaterThanOrEqual(3);
    expect(row.cost_picousd).toBeGreaterThan(0);
  });
});
