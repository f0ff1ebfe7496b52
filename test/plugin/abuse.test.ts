import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.ts";
import { type PluginSite, startPluginSite } from "./support/site.ts";

// The abuse brakes of Chat_Admission in a real WordPress (php -S + SQLite) with plugin/
// and a real gateway: a Chat block's own daily cap (its saved dailyQuestions), and
// Cloudflare Turnstile checked against a local fake of siteverify, both before the
// gateway is asked anything.

let gateway: TestGateway;
let site: PluginSite;
let posts: { capped: number; raced: number; open: number };

/** What the fake siteverify was sent, one form per call. */
const verified: URLSearchParams[] = [];
/** How the fake answers: by token, or not at all ("hang") or with a 500 ("fail"). */
let siteverify: Server;
let siteverifyUrl: string;

function answerSiteverify(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    verified.push(form);
    const token = form.get("response");
    const json = (body: unknown) => {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.method !== "POST" || request.url !== "/turnstile/v0/siteverify") {
      response.writeHead(404).end();
    } else if (form.get("secret") !== TURNSTILE_SECRET) {
      json({ success: false, "error-codes": ["invalid-input-secret"] });
    } else if (token === "hang") {
      // Never answers: the plugin must give up after its timeout.
    } else if (token === "fail") {
      response.writeHead(500).end("oops");
    } else if (token === "not-json") {
      response.writeHead(200, { "Content-Type": "text/html" }).end("<html>maintenance</html>");
    } else if (token?.startsWith("good-")) {
      json({ success: true, "error-codes": [], hostname: "example.com" });
    } else {
      json({ success: false, "error-codes": ["invalid-input-response"] });
    }
  });
}

const TURNSTILE_SITE_KEY = "0x4AAAAAAAtestsitekey";
const TURNSTILE_SECRET = "0x4AAAAAAAtestsecret_kept-on-the-server";

beforeAll(async () => {
  siteverify = createServer(answerSiteverify);
  await new Promise<void>((resolve) => siteverify.listen(0, "127.0.0.1", resolve));
  siteverifyUrl = `http://127.0.0.1:${(siteverify.address() as AddressInfo).port}/turnstile/v0/siteverify`;

  gateway = await startTestGateway({ SLUICE_DEMO_DELAY_MS: "1" });
  site = await startPluginSite({
    url: gateway.url,
    siteId: gateway.siteId,
    secret: gateway.secret,
  });
  posts = await site.php("abuse-seed.php");
  const raised = await site.rest("/settings", {
    as: "admin",
    body: { rate_limit_per_minute: 1000, streaming_mode: "buffered" },
  });
  expect(raised.status).toBe(200);
}, 60_000);

afterAll(async () => {
  await site?.stop();
  await gateway?.stop();
  siteverify?.closeAllConnections();
  await new Promise<void>((resolve) =>
    siteverify ? siteverify.close(() => resolve()) : resolve(),
  );
});

function ask(post: number, block: string, extra: Record<string, unknown> = {}) {
  return site.rest("/chat", {
    body: {
      post_id: post,
      block_id: block,
      messages: [{ role: "user", content: "Hello?" }],
      stream: false,
      ...extra,
    },
  });
}

/** How many chats reached the gateway (its ledger's rows). */
function gatewayChats(): number {
  return gateway.services.db.prepare("SELECT COUNT(*) FROM requests").pluck().get() as number;
}

interface ErrorBody {
  code: string;
  message: string;
  data: { status: number; retry_after?: number; resets_at?: string };
}

describe("a Chat block's daily cap (dailyQuestions)", () => {
  it("admits the block's questions up to its cap, then refuses with sluice_daily_cap_reached until the site's midnight", async () => {
    for (let question = 0; question < 2; question++) {
      const answered = await ask(posts.capped, "capped-block-1");
      expect(answered.status).toBe(200);
      expect(((await answered.json()) as { content: string }).content).not.toBe("");
    }
    const before = gatewayChats();
    const refused = await ask(posts.capped, "capped-block-1");
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as ErrorBody;
    expect(body.code).toBe("sluice_daily_cap_reached");
    expect(body.message).toContain("today");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect(body.data.retry_after).toBe(retryAfter);
    // The site's time zone is UTC here: the cap resets at the next 00:00 UTC.
    const resetsAt = Date.parse(body.data.resets_at ?? "");
    expect(new Date(resetsAt).toISOString()).toMatch(/T00:00:00\.000Z$/);
    expect(Math.abs(resetsAt - Date.now() - retryAfter * 1000)).toBeLessThan(5_000);
    expect(gatewayChats()).toBe(before);
  });

  it("is the saved block's: another visitor, or a dailyQuestions in the request, cannot lift it", async () => {
    const other = await site.rest("/chat", {
      from: "127.0.0.2",
      body: {
        post_id: posts.capped,
        block_id: "capped-block-1",
        messages: [{ role: "user", content: "Me too?" }],
        stream: false,
        dailyQuestions: 0,
        attributes: { dailyQuestions: 100 },
      },
    });
    expect(other.status).toBe(429);
    expect(((await other.json()) as ErrorBody).code).toBe("sluice_daily_cap_reached");
    // A block without a cap on the same site is not held by it.
    expect((await ask(posts.open, "open-block-1")).status).toBe(200);
  });

  it("never admits more than the cap when questions arrive at once", async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        site.rest("/chat", {
          from: `127.0.0.${10 + index}`,
          body: {
            post_id: posts.raced,
            block_id: "raced-block-1",
            messages: [{ role: "user", content: `Question ${index}` }],
            stream: false,
          },
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
  });

  it("counts by the day of the site's time zone, in one row per block (yesterday's removed), not autoloaded", async () => {
    const result = await site.php<{
      calls: Array<true | { code: string; data: { retry_after: number; resets_at: string } }>;
      rows: Array<{ option_name: string; option_value: string; autoload: string }>;
      cap_of: number[];
    }>("daily-cap-days.php");
    expect(result.calls[0]).toBe(true);
    expect(result.calls[1]).toMatchObject({
      code: "sluice_daily_cap_reached",
      data: { status: 429, retry_after: 600, resets_at: "2026-01-01T05:00:00Z" },
    });
    expect(result.calls[2]).toBe(true);
    expect(result.calls[3]).toMatchObject({ code: "sluice_daily_cap_reached" });
    expect(result.rows).toEqual([
      {
        option_name: expect.stringMatching(/^sluice_daily_cap_[0-9a-f]{32}_20260101$/),
        option_value: "1",
        autoload: "off",
      },
    ]);
    expect(result.cap_of).toEqual([0, 0, 0, 0, 7]);
  });
});

/** Where the site's fake-siteverify mu-plugin sends tokens from the next request on. */
function pointSiteverifyAt(url: string): void {
  writeFileSync(path.join(site.dir, "wp-content", "mu-plugins", "sluice-siteverify-url.txt"), url);
}

/** The post's page as a visitor gets it. */
async function pageHtml(postId: number): Promise<string> {
  const response = await fetch(`${site.url}/?p=${postId}`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The first Chat block's config (its `data-sluice-chat` JSON) in a page. */
function blockConfig(html: string): Record<string, unknown> {
  const attribute = html.match(/data-sluice-chat="([^"]*)"/)?.[1];
  if (attribute === undefined) throw new Error("no Chat block on the page");
  const json = attribute
    .replaceAll("&quot;", '"')
    .replaceAll("&#039;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
  return JSON.parse(json) as Record<string, unknown>;
}

describe("Cloudflare Turnstile", () => {
  beforeAll(async () => {
    // The URL is read from a text file on each request: a PHP file rewritten in place may
    // be served from opcache for a moment longer.
    writeFileSync(
      path.join(site.dir, "wp-content", "mu-plugins", "sluice-fake-siteverify.php"),
      "<?php\nadd_filter( 'sluice_turnstile_siteverify_url', static fn() => trim( (string) file_get_contents( __DIR__ . '/sluice-siteverify-url.txt' ) ) );\n",
    );
    pointSiteverifyAt(siteverifyUrl);
  });

  it("is off until both keys are set; the secret is write-only and stored sealed", async () => {
    expect((await ask(posts.open, "open-block-1")).status).toBe(200);
    const offPage = await pageHtml(posts.open);
    expect(offPage).not.toContain("turnstileSiteKey");
    expect(offPage).not.toContain("challenges.cloudflare.com");
    const keyOnly = await site.rest("/settings", {
      as: "admin",
      body: { turnstile_site_key: TURNSTILE_SITE_KEY },
    });
    expect(keyOnly.status).toBe(200);
    expect(await keyOnly.json()).toMatchObject({
      turnstile_site_key: TURNSTILE_SITE_KEY,
      turnstile_secret_set: false,
    });
    // A site key without a secret checks nothing.
    expect((await ask(posts.open, "open-block-1")).status).toBe(200);

    const saved = await site.rest("/settings", {
      as: "admin",
      body: { turnstile_secret: TURNSTILE_SECRET },
    });
    expect(saved.status).toBe(200);
    const text = await saved.text();
    expect(text).not.toContain(TURNSTILE_SECRET);
    expect(JSON.parse(text)).toMatchObject({
      turnstile_site_key: TURNSTILE_SITE_KEY,
      turnstile_secret_set: true,
      turnstile_secret_from_constant: false,
    });
    const stored = await site.php<{ value: string | null }>(
      "read-option.php",
      "sluice_turnstile_secret",
    );
    expect(stored.value).toMatch(/^sluice-sealed:v1:/);
    expect(stored.value).not.toContain(TURNSTILE_SECRET);

    const bad = await site.rest("/settings", {
      as: "admin",
      body: { turnstile_site_key: "not a key!" },
    });
    expect(bad.status).toBe(400);
  });

  it("puts the site key in the block's config and Cloudflare's script (explicit, deferred) on the page; never the secret", async () => {
    const html = await pageHtml(posts.open);
    const config = blockConfig(html);
    expect(config.turnstileSiteKey).toBe(TURNSTILE_SITE_KEY);
    expect(html).not.toContain(TURNSTILE_SECRET);
    const script = html.match(/<script[^>]*id="sluice-turnstile-js"[^>]*>/)?.[0] ?? "";
    expect(script).toContain(
      'src="https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit"',
    );
    expect(script).toMatch(/\bdefer\b/);
  });

  it("refuses a question without a token (400 sluice_turnstile_missing), before the gateway", async () => {
    const before = gatewayChats();
    const calls = verified.length;
    const refused = await ask(posts.open, "open-block-1");
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ErrorBody).code).toBe("sluice_turnstile_missing");
    expect(verified.length).toBe(calls);
    expect(gatewayChats()).toBe(before);
  });

  it("checks a token with siteverify (secret, response, remoteip) and answers when it passes", async () => {
    const before = gatewayChats();
    const answered = await site.rest("/chat", {
      from: "127.0.0.7",
      body: {
        post_id: posts.open,
        block_id: "open-block-1",
        messages: [{ role: "user", content: "Hello?" }],
        stream: false,
        turnstile_token: "good-token-1",
      },
    });
    expect(answered.status).toBe(200);
    expect(verified.at(-1)?.get("secret")).toBe(TURNSTILE_SECRET);
    expect(verified.at(-1)?.get("response")).toBe("good-token-1");
    expect(verified.at(-1)?.get("remoteip")).toBe("127.0.0.7");
    expect(gatewayChats()).toBe(before + 1);
  });

  it("refuses a token siteverify rejects (403 sluice_turnstile_invalid), before the gateway", async () => {
    const before = gatewayChats();
    const refused = await ask(posts.open, "open-block-1", { turnstile_token: "forged" });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ErrorBody).code).toBe("sluice_turnstile_invalid");
    const tooLong = await ask(posts.open, "open-block-1", { turnstile_token: "x".repeat(2049) });
    expect(tooLong.status).toBe(400);
    expect(gatewayChats()).toBe(before);
  });

  it("fails closed (503 sluice_turnstile_unavailable) when siteverify errs, answers no JSON, refuses the secret, or is down", async () => {
    const before = gatewayChats();
    for (const token of ["fail", "not-json"]) {
      const refused = await ask(posts.open, "open-block-1", { turnstile_token: token });
      expect(refused.status, token).toBe(503);
      expect(((await refused.json()) as ErrorBody).code, token).toBe(
        "sluice_turnstile_unavailable",
      );
    }

    const wrongSecret = await site.rest("/settings", {
      as: "admin",
      body: { turnstile_secret: "0x4AAAAAAAanother-secret" },
    });
    expect(wrongSecret.status).toBe(200);
    const misconfigured = await ask(posts.open, "open-block-1", { turnstile_token: "good-2" });
    expect(misconfigured.status).toBe(503);
    expect(((await misconfigured.json()) as ErrorBody).code).toBe("sluice_turnstile_unavailable");
    await site.rest("/settings", { as: "admin", body: { turnstile_secret: TURNSTILE_SECRET } });

    // Nothing listens on the port any more: connection refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    pointSiteverifyAt(`http://127.0.0.1:${closedPort}/turnstile/v0/siteverify`);
    const down = await ask(posts.open, "open-block-1", { turnstile_token: "good-3" });
    expect(down.status).toBe(503);
    expect(((await down.json()) as ErrorBody).code).toBe("sluice_turnstile_unavailable");
    pointSiteverifyAt(siteverifyUrl);
    expect(gatewayChats()).toBe(before);
  });

  it("gives up on a siteverify that does not answer after its timeout (5 s)", async () => {
    const started = Date.now();
    const refused = await ask(posts.open, "open-block-1", { turnstile_token: "hang" });
    const took = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as ErrorBody).code).toBe("sluice_turnstile_unavailable");
    expect(took).toBeGreaterThanOrEqual(4_500);
    expect(took).toBeLessThan(15_000);
  }, 20_000);

  it("is checked before the daily cap takes a place: a refused token leaves the count alone", async () => {
    const fresh = await site.php<{ capped: number; raced: number; open: number }>("abuse-seed.php");
    const forged = await ask(fresh.capped, "capped-block-1", { turnstile_token: "forged" });
    expect(forged.status).toBe(403);
    for (let question = 0; question < 2; question++) {
      const answered = await ask(fresh.capped, "capped-block-1", {
        turnstile_token: `good-${question}`,
      });
      expect(answered.status).toBe(200);
    }
    const capped = await ask(fresh.capped, "capped-block-1", { turnstile_token: "good-9" });
    expect(capped.status).toBe(429);
  });

  it("turns off again when the secret is removed", async () => {
    const removed = await site.rest("/settings", { as: "admin", body: { turnstile_secret: "" } });
    expect(await removed.json()).toMatchObject({ turnstile_secret_set: false });
    expect((await ask(posts.open, "open-block-1")).status).toBe(200);
  });
});
