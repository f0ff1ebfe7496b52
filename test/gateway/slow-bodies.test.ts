import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../server/http/signature.ts";
import { chatBody, readEvents, startTestGateway, type TestGateway } from "../support/gateway.ts";

const BODY_TIMEOUT_MS = 300;
/** The body timeout, Node's check interval and a margin for a busy machine. */
const CUT_WITHIN_MS = BODY_TIMEOUT_MS * 4 + 1_000;

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({
    SLUICE_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
    SLUICE_DEMO_DELAY_MS: "10",
  });
});
afterAll(() => gateway.stop());

interface Exchange {
  /** Everything the gateway sent. */
  received: string;
  /** When the gateway closed the connection, from the first byte sent; null if it never did. */
  closedAfterMs: number | null;
}

/**
 * Opens a raw connection, sends `head`, lets `feed` write more, and resolves
 * when the gateway closes the connection or after `giveUpMs`, whichever comes first.
 */
function exchange(
  target: TestGateway,
  head: string,
  feed: (socket: Socket) => void,
  giveUpMs: number,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(target.port, "127.0.0.1");
    const started = performance.now();
    let received = "";
    let done = false;
    const finish = (closedAfterMs: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ received, closedAfterMs });
    };
    const giveUp = setTimeout(() => finish(null), giveUpMs);
    socket.setEncoding("utf8");
    socket.on("data", (part: string) => {
      received += part;
    });
    // Writing to a socket the gateway closed fails; that is what is being tested.
    socket.on("error", () => undefined);
    socket.on("close", () => finish(Math.round(performance.now() - started)));
    socket.write(head, () => feed(socket));
  });
}

/** Writes one byte every `everyMs` while the socket is open. */
function trickle(everyMs: number) {
  return (socket: Socket) => {
    const timer = setInterval(() => {
      if (socket.destroyed) clearInterval(timer);
      else socket.write("x");
    }, everyMs);
    socket.once("close", () => clearInterval(timer));
  };
}

/** A POST /v1/chat head with the given headers and Content-Length. */
function chatHead(headers: Record<string, string>, contentLength: number): string {
  const lines = [
    "POST /v1/chat HTTP/1.1",
    `Host: 127.0.0.1:${gateway.port}`,
    "Content-Type: application/json",
    `Content-Length: ${contentLength}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

function signedFor(body: string, sign: { siteId?: string; now?: number } = {}) {
  return signedHeaders({
    siteId: sign.siteId ?? gateway.siteId,
    secret: gateway.secret,
    method: "POST",
    path: "/v1/chat",
    body,
    ...(sign.now === undefined ? {} : { now: sign.now }),
  });
}

describe("a client that sends its request slowly", () => {
  it("trickling a correctly signed body gets 408 and a closed connection within the body timeout", async () => {
    const body = JSON.stringify(chatBody("x".repeat(500)));
    const result = await exchange(
      gateway,
      chatHead(signedFor(body), Buffer.byteLength(body)),
      trickle(50),
      CUT_WITHIN_MS + 3_000,
    );
    expect(result.closedAfterMs, "the gateway closed the connection").not.toBeNull();
    expect(result.closedAfterMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS);
    expect(result.closedAfterMs).toBeLessThan(CUT_WITHIN_MS);
    expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("trickling headers gets 408 and a closed connection within the same bound", async () => {
    const head = `POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1:${gateway.port}\r\n`;
    let line = 0;
    const result = await exchange(
      gateway,
      head,
      (socket) => {
        const timer = setInterval(() => {
          if (socket.destroyed) {
            clearInterval(timer);
            return;
          }
          line += 1;
          socket.write(`X-Padding-${line}: x\r\n`);
        }, 50);
        socket.once("close", () => clearInterval(timer));
      },
      CUT_WITHIN_MS + 3_000,
    );
    expect(result.closedAfterMs, "the gateway closed the connection").not.toBeNull();
    expect(result.closedAfterMs).toBeLessThan(CUT_WITHIN_MS);
    expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("a stream that lasts longer than the body timeout is not cut", async () => {
    const started = performance.now();
    const response = await gateway.request("/v1/chat", { body: chatBody("tell me a story") });
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    const elapsed = performance.now() - started;
    // The demo writes ~150 words 10 ms apart: several body timeouts long.
    expect(elapsed).toBeGreaterThan(BODY_TIMEOUT_MS * 3);
    expect(events.at(-1)?.data).toBe("[DONE]");
    expect(events.at(-2)?.json).toMatchObject({ type: "usage_final", finish_reason: "stop" });
    expect(events.filter((event) => event.json?.type === "content").length).toBeGreaterThan(100);
  });
});

describe("a request a stranger sent is refused on its headers, before its body", () => {
  const announced = 900_000;
  // The default body timeout (30 s): the refusal must not wait for it.
  let patient: TestGateway;
  beforeAll(async () => {
    patient = await startTestGateway();
  });
  afterAll(() => patient.stop());

  const refusedEarly = async (headers: Record<string, string>) => {
    const result = await exchange(
      patient,
      chatHead(headers, announced),
      // 1 KB of the announced 900 KB, then nothing: the gateway cannot wait for the rest.
      (socket) => socket.write("x".repeat(1_000)),
      4_000,
    );
    expect(result.received, "answered before the body was complete").toMatch(/^HTTP\/1\.1 401 /);
    const json = result.received.slice(result.received.indexOf("\r\n\r\n") + 4);
    // The socket is cut once the short read-away of the rest is over.
    expect(result.closedAfterMs, "the gateway closed the connection").not.toBeNull();
    expect(result.closedAfterMs).toBeLessThan(3_000);
    return (JSON.parse(json) as { error: { code: string } }).error.code;
  };

  it("an unknown site id", async () => {
    const headers = signedFor("x".repeat(announced), { siteId: "no-such-site" });
    expect(await refusedEarly(headers)).toBe("unknown_site");
  });

  it("a stale timestamp", async () => {
    const headers = signedFor("x".repeat(announced), { now: Date.now() - 3_600_000 });
    expect(await refusedEarly(headers)).toBe("timestamp_out_of_window");
  });

  it("no signature headers at all", async () => {
    expect(await refusedEarly({})).toBe("signature_missing");
  });
});
