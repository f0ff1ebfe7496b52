import { readFileSync } from "node:fs";
import path from "node:path";
import { createParser } from "eventsource-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeProbe, type ProbeAnalysis } from "../../blocks/admin/lib/probe-analysis.ts";
import { readProbe } from "../../blocks/admin/lib/probe-reader.ts";
import { shippedNginxConf } from "../../scripts/wordpress/production/nginx.ts";
import { signedHeaders } from "../../server/http/signature.ts";
import { startTestGateway, type TestGateway } from "../support/gateway.ts";
import { type HostStack, startHostStack } from "./support/stack.ts";

// WordPress 7.1 on PHP-FPM and MariaDB, served through docs/deploy/nginx.conf as
// shipped, relaying a real gateway's chat; then the same site behind nginx set up the
// way real hosts break SSE.

/**
 * The demo provider's pause between two words: 24 words take about 900 ms. Far enough
 * apart that a test process slowed by other suites still reads most words on their own.
 */
const wordDelayMs = 40;
const words = Array.from({ length: 24 }, (_, index) => `word${index}`);
const sentSpreadMs = (words.length - 1) * wordDelayMs;

let gateway: TestGateway;
let host: HostStack;

beforeAll(async () => {
  gateway = await startTestGateway({ SLUICE_DEMO_DELAY_MS: String(wordDelayMs) });
  host = await startHostStack(gateway);
  console.log(
    `[host] provisioned in ${(host.timings.provisionMs / 1000).toFixed(1)} s, started (MariaDB, PHP-FPM, 3 nginx) in ${(host.timings.startMs / 1000).toFixed(1)} s`,
  );
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await gateway?.stop();
});

interface TimedChat {
  status: number;
  headers: Headers;
  /** When each content event was read, ms on performance.now(). */
  arrivals: number[];
  text: string;
  events: { event: string | undefined; data: string }[];
}

async function readTimedChat(response: Response): Promise<TimedChat> {
  const arrivals: number[] = [];
  const events: TimedChat["events"] = [];
  let text = "";
  let now = 0;
  const parser = createParser({
    onEvent: (message) => {
      events.push({ event: message.event, data: message.data });
      if (!message.data.includes('"type":"content"')) return;
      arrivals.push(now);
      text += (JSON.parse(message.data) as { data: string }).data;
    },
  });
  const decoder = new TextDecoder();
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    now = performance.now();
    parser.feed(decoder.decode(value, { stream: true }));
  }
  return { status: response.status, headers: response.headers, arrivals, text, events };
}

/** How many network reads the words came in. */
function reads(arrivals: number[]): number {
  return new Set(arrivals).size;
}

/** The most words that came in one read, as a share of all. */
function largestReadShare(arrivals: number[]): number {
  const perRead = new Map<number, number>();
  for (const at of arrivals) perRead.set(at, (perRead.get(at) ?? 0) + 1);
  return Math.max(0, ...perRead.values()) / Math.max(1, arrivals.length);
}

function spread(arrivals: number[]): number {
  return (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0);
}

/** As sent: most words in reads of their own, over most of the time the gateway took. */
function expectProgressive(result: TimedChat): void {
  expect(reads(result.arrivals)).toBeGreaterThan(words.length / 2);
  expect(spread(result.arrivals)).toBeGreaterThan(sentSpreadMs * 0.6);
}

/** All at the end: nearly every word in one read, within a sliver of the sending time. */
function expectBunched(result: TimedChat): void {
  expect(largestReadShare(result.arrivals)).toBeGreaterThanOrEqual(0.9);
  expect(spread(result.arrivals)).toBeLessThan(sentSpreadMs * 0.15);
}

function chat(origin: string): Promise<TimedChat> {
  return fetch(`${origin}/wp-json/sluice/v1/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept-Encoding": "gzip" },
    body: JSON.stringify({
      post_id: host.pageId,
      block_id: "page-block-1",
      messages: [{ role: "user", content: `/echo ${words.join(" ")}` }],
    }),
  }).then(readTimedChat);
}

async function probe(origin: string): Promise<ProbeAnalysis & { headers: Headers }> {
  const startedAtMs = performance.now();
  const response = await fetch(`${origin}/wp-json/sluice/v1/stream-probe`, {
    headers: {
      Authorization: `Basic ${Buffer.from(host.adminAuth).toString("base64")}`,
      "Accept-Encoding": "gzip",
    },
  });
  expect(response.status).toBe(200);
  const analysis = analyzeProbe(await readProbe(response, startedAtMs));
  return { ...analysis, headers: response.headers };
}

function describeChat(label: string, result: TimedChat): string {
  return `${label}: ${result.arrivals.length} words in ${reads(result.arrivals)} reads over ${spread(result.arrivals).toFixed(0)} ms (sent over ${sentSpreadMs} ms)`;
}

function expectWholeAnswer(result: TimedChat): void {
  expect(result.status).toBe(200);
  expect(result.headers.get("content-type")).toMatch(/^text\/event-stream/);
  expect(result.headers.get("server")).toMatch(/^nginx/);
  expect(result.text).toBe(words.join(" "));
  expect(result.events[0]?.event).toBe("usage_start");
  expect(result.events.at(-1)?.data).toBe("[DONE]");
}

/** A request signed for the gateway, sent through nginx's /sluice-gateway/ location. */
function throughGatewayLocation(gatewayPath: string, body: object): Promise<Response> {
  const text = JSON.stringify(body);
  return fetch(`${host.urls.shipped}/sluice-gateway${gatewayPath}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...signedHeaders({
        siteId: gateway.siteId,
        secret: gateway.secret,
        method: "POST",
        path: gatewayPath,
        body: text,
      }),
    },
    body: text,
  });
}

describe("docs/deploy/nginx.conf as shipped, on PHP-FPM and MariaDB", () => {
  it("is the file nginx serves, with only its EDIT lines set for this stack", () => {
    const shipped = readFileSync(shippedNginxConf, "utf8").split("\n");
    const port = new URL(host.urls.shipped).port;
    const served = readFileSync(
      path.join(host.running.layout.confDir, `sluice-${port}.conf`),
      "utf8",
    ).split("\n");
    expect(served.length).toBe(shipped.length);
    const changed = shipped.flatMap((line, index) => (line === served[index] ? [] : [index]));
    expect(changed.map((index) => shipped[index]?.trim())).toEqual([
      "server unix:/run/php/php8.2-fpm.sock;",
      "server 127.0.0.1:8787;",
      "listen 80;",
      "root /var/www/wordpress;",
    ]);
    for (const index of changed) {
      let above = index - 1;
      const comments: string[] = [];
      while (shipped[above]?.trim().startsWith("#")) comments.unshift(shipped[above--] ?? "");
      expect(comments.join("\n")).toContain("# EDIT:");
    }
  });

  it("serves WordPress 7.1 from MariaDB, and never the private files", async () => {
    const home = await fetch(`${host.urls.shipped}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('content="WordPress 7.1');
    for (const hidden of ["/.sluice/site.json", "/wp-content/debug.log", "/wp-config.php/x"]) {
      const response = await fetch(`${host.urls.shipped}${hidden}`);
      await response.arrayBuffer();
      expect(response.status, hidden).toBeGreaterThanOrEqual(403);
    }
    const config = readFileSync(path.join(host.siteDir, "wp-config.php"), "utf8");
    expect(config).toContain("define( 'DB_HOST', '127.0.0.1:");
    expect(config).not.toContain("DB_ENGINE");
  });

  it("streams the chat through PHP progressively: the words arrive as the gateway sends them", async () => {
    const result = await chat(host.urls.shipped);
    console.log(describeChat("[host] shipped", result));
    expectWholeAnswer(result);
    expect(result.headers.get("content-encoding")).toBeNull();
    expectProgressive(result);
  });

  it("the stream probe reports progressive", async () => {
    const result = await probe(host.urls.shipped);
    expect(result.verdict).toBe("progressive");
    expect(result.events).toBe(10);
    expect(result.intermediaries).toEqual(["nginx"]);
  });

  it("proxies /sluice-gateway/ to the gateway unbuffered, over one kept-alive connection", async () => {
    let connections = 0;
    const count = () => connections++;
    gateway.server.on("connection", count);
    try {
      const health = await fetch(`${host.urls.shipped}/sluice-gateway/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok" });
      for (let round = 0; round < 2; round++) {
        const response = await throughGatewayLocation("/v1/chat", {
          messages: [{ role: "user", content: `/echo ${words.join(" ")}` }],
          model: "demo/sluice-demo",
          stream: true,
        });
        const result = await readTimedChat(response);
        expect(result.status).toBe(200);
        expect(result.text).toBe(words.join(" "));
        expectProgressive(result);
      }
    } finally {
      gateway.server.off("connection", count);
    }
    // Three requests, one connection from nginx to the gateway (upstream keepalive).
    expect(connections).toBe(1);
  });
});

describe("nginx set up the way real hosts break SSE", () => {
  it("fastcgi_buffering on, X-Accel-Buffering ignored: the chat arrives bunched at the end", async () => {
    const result = await chat(host.urls["fastcgi-buffered"]);
    console.log(describeChat("[host] fastcgi-buffered", result));
    expectWholeAnswer(result);
    expectBunched(result);
  });

  it("fastcgi_buffering on, X-Accel-Buffering ignored: the stream probe reports buffered", async () => {
    const result = await probe(host.urls["fastcgi-buffered"]);
    expect(result.verdict).toBe("buffered");
    expect(result.bursts).toBe(1);
    expect(result.intermediaries).toContain("nginx");
  });

  // Measured: nginx's gzip filter flushes every chunk an unbuffered FastCGI answer
  // passes (Z_SYNC_FLUSH), so gzip alone compresses the stream without bunching it. The
  // shipped file still turns it off for the streams (see its comments).
  it("gzip on for text/event-stream: the chat arrives compressed, still progressive", async () => {
    const result = await chat(host.urls.gzip);
    console.log(describeChat("[host] gzip", result));
    expectWholeAnswer(result);
    expect(result.headers.get("content-encoding")).toBe("gzip");
    expectProgressive(result);
  });

  it("gzip on for text/event-stream: the stream probe reports progressive and compression", async () => {
    const result = await probe(host.urls.gzip);
    expect(result.verdict).toBe("progressive");
    expect(result.intermediaries).toEqual(["nginx", "compression"]);
  });
});
