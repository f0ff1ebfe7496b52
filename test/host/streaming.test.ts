import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shippedNginxConf } from "../../scripts/wordpress/production/nginx.ts";
import { startTestGateway, type TestGateway } from "../support/gateway.ts";
import { type HostStack, startHostStack } from "./support/stack.ts";
import {
  describeChat,
  expectBunched,
  expectProgressive,
  expectWholeAnswer,
  gatewayChatBody,
  readTimedChat,
  relayChat,
  streamProbe,
  throughGatewayPath,
  wordDelayMs,
  words,
} from "./support/streams.ts";

// WordPress 7.1 on PHP-FPM and MariaDB, served through docs/deploy/nginx.conf as
// shipped, relaying a real gateway's chat; then the same site behind nginx set up the
// way real hosts break SSE.

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

const chat = (origin: string) => relayChat(origin, host.pageId);
const probe = (origin: string) => streamProbe(origin, host.adminAuth);
const fromNginx = /^nginx/;

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

  it("sends direct mode's tickets to the tickets pool, pages to the site's pool", async () => {
    const accessLog = path.join(host.running.layout.logDir, "php-fpm-access.log");
    const before = readFileSync(accessLog, "utf8").length;
    const ticket = await fetch(`${host.urls.shipped}/wp-json/sluice/v1/ticket`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        post_id: host.pageId,
        block_id: "page-block-1",
        messages: [{ role: "user", content: "hello" }],
      }),
    });
    // Direct mode is off on this site: the tickets pool answers the route's refusal.
    expect(ticket.status).toBe(409);
    expect(((await ticket.json()) as { code: string }).code).toBe("sluice_direct_off");
    const home = await fetch(`${host.urls.shipped}/`);
    await home.arrayBuffer();
    const logged = readFileSync(accessLog, "utf8").slice(before).trim().split("\n");
    expect(
      logged.filter((line) => / POST .* 409 /.test(line)).map((line) => line.split(" ")[0]),
    ).toEqual(["sluice-tickets"]);
    expect(
      logged.filter((line) => / GET .* 200 /.test(line)).map((line) => line.split(" ")[0]),
    ).toEqual(["sluice"]);
  });

  it("streams the chat through PHP progressively: the words arrive as the gateway sends them", async () => {
    const result = await chat(host.urls.shipped);
    console.log(describeChat("[host] shipped", result));
    expectWholeAnswer(result, fromNginx);
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
        const response = await throughGatewayPath(
          host.urls.shipped,
          gateway,
          "/v1/chat",
          gatewayChatBody,
        );
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
    expectWholeAnswer(result, fromNginx);
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
    expectWholeAnswer(result, fromNginx);
    expect(result.headers.get("content-encoding")).toBe("gzip");
    expectProgressive(result);
  });

  it("gzip on for text/event-stream: the stream probe reports progressive and compression", async () => {
    const result = await probe(host.urls.gzip);
    expect(result.verdict).toBe("progressive");
    expect(result.intermediaries).toEqual(["nginx", "compression"]);
  });
});
