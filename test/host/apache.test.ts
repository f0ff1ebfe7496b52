import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apacheInstance, shippedApacheConf } from "../../scripts/wordpress/production/apache.ts";
import { startTestGateway, type TestGateway } from "../support/gateway.ts";
import { type HostStack, startApacheHostStack } from "./support/stack.ts";
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
import { logIn, pluginRest } from "./support/wp-admin.ts";

// The same production stack (WordPress 7.1, PHP-FPM, MariaDB), served by Apache with
// docs/deploy/apache.conf as shipped; then by an Apache without the line that makes
// mod_proxy_fcgi pass each chunk on.

let gateway: TestGateway;
let host: HostStack<"shipped" | "no-flushpackets">;

beforeAll(async () => {
  gateway = await startTestGateway({ SLUICE_DEMO_DELAY_MS: String(wordDelayMs) });
  host = await startApacheHostStack(gateway);
  console.log(
    `[apache] provisioned in ${(host.timings.provisionMs / 1000).toFixed(1)} s, started (MariaDB, PHP-FPM, 2 Apache) in ${(host.timings.startMs / 1000).toFixed(1)} s`,
  );
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await gateway?.stop();
});

const fromApache = /^Apache/;

describe("docs/deploy/apache.conf as shipped, on PHP-FPM and MariaDB", () => {
  it("is the file Apache serves, with only its EDIT lines set for this stack", () => {
    const shipped = readFileSync(shippedApacheConf, "utf8").split("\n");
    const port = Number(new URL(host.urls.shipped).port);
    const instance = apacheInstance(host.running.layout, port, "shipped");
    const served = readFileSync(instance.siteConf, "utf8").split("\n");
    expect(served.length).toBe(shipped.length);
    const changed = shipped.flatMap((line, index) => (line === served[index] ? [] : [index]));
    expect(changed.length).toBe(6);
    for (const index of changed) {
      let above = index - 1;
      const comments: string[] = [];
      while (shipped[above]?.trim().startsWith("#")) comments.unshift(shipped[above--] ?? "");
      expect(comments.join("\n"), shipped[index]).toContain("# EDIT:");
    }
  });

  it("serves WordPress 7.1 with pretty permalinks, and never the private files", async () => {
    const home = await fetch(`${host.urls.shipped}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get("server")).toMatch(fromApache);
    expect(await home.text()).toContain('content="WordPress 7.1');
    // WordPress redirects to the page's pretty permalink, which only .htaccess resolves.
    const page = await fetch(`${host.urls.shipped}/?page_id=${host.pageId}`);
    await page.arrayBuffer();
    expect(page.status).toBe(200);
    expect(page.redirected).toBe(true);
    expect(new URL(page.url).search).toBe("");
    for (const hidden of ["/.sluice/site.json", "/wp-content/debug.log", "/.htaccess"]) {
      const response = await fetch(`${host.urls.shipped}${hidden}`);
      await response.arrayBuffer();
      expect(response.status, hidden).toBeGreaterThanOrEqual(403);
    }
  });

  it("streams the chat through PHP progressively, uncompressed", async () => {
    const result = await relayChat(host.urls.shipped, host.pageId);
    console.log(describeChat("[apache] shipped", result));
    expectWholeAnswer(result, fromApache);
    expect(result.headers.get("content-encoding")).toBeNull();
    expectProgressive(result);
  });

  it("the stream probe reports progressive, with the admin's application password passed on", async () => {
    const result = await streamProbe(host.urls.shipped, host.adminAuth);
    expect(result.verdict).toBe("progressive");
    expect(result.events).toBe(10);
  });

  it("serves wp-admin and the plugin's admin routes to a logged-in admin", async () => {
    const cookie = await logIn(host.urls.shipped, host.admin);
    const screen = await fetch(`${host.urls.shipped}/wp-admin/options-general.php?page=sluice`, {
      headers: { Cookie: cookie },
    });
    expect(screen.status).toBe(200);
    expect(await screen.text()).toContain("sluice");
    const settings = await pluginRest(host.urls.shipped, "/settings", {
      adminAuth: host.adminAuth,
    });
    expect(settings.status).toBe(200);
    const anonymous = await pluginRest(host.urls.shipped, "/settings");
    await anonymous.arrayBuffer();
    expect(anonymous.status).toBe(401);
  });

  it("proxies /sluice-gateway/ to the gateway, unbuffered", async () => {
    const health = await fetch(`${host.urls.shipped}/sluice-gateway/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
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
  });
});

describe("Apache without flushpackets=on on the stream routes", () => {
  it("the chat arrives bunched at the end, as the file's comment says", async () => {
    const result = await relayChat(host.urls["no-flushpackets"], host.pageId);
    console.log(describeChat("[apache] no-flushpackets", result));
    expectWholeAnswer(result, fromApache);
    expectBunched(result);
  });

  it("the stream probe reports buffered", async () => {
    const result = await streamProbe(host.urls["no-flushpackets"], host.adminAuth);
    expect(result.verdict).toBe("buffered");
  });
});
