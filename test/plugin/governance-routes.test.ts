import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PolicyReport } from "../../contract/policy.ts";
import { EMPTY_POLICY } from "../../server/budget/policy.ts";
import { startTestGateway, type TestGateway } from "../support/gateway.ts";
import { type PluginSite, startPluginSite } from "./support/site.ts";
import { GatewayTap, parseHttpMessage } from "./support/tap.ts";

// Spend governance through the plugin: a real WordPress (php -S + SQLite) with
// plugin/ installed, a real gateway behind a recording tap.

let gateway: TestGateway;
let tap: GatewayTap;
let site: PluginSite;

const USD = 1e12;

interface WpError {
  code: string;
  message: string;
  data: Record<string, unknown> & { status: number };
}

beforeAll(async () => {
  gateway = await startTestGateway({ SLUICE_DEMO_DELAY_MS: "1" });
  const upstream = new URL(gateway.url);
  tap = new GatewayTap(upstream.hostname, Number(upstream.port));
  await tap.accept();
  site = await startPluginSite({ url: tap.url, siteId: gateway.siteId, secret: gateway.secret });
  const raised = await site.rest("/settings", {
    as: "admin",
    body: { rate_limit_per_minute: 1000 },
  });
  expect(raised.status).toBe(200);
  // WordPress's own time zone, which the plugin sends to the gateway unless the admin picks one.
  const timezone = await fetch(`${site.url}/wp-json/wp/v2/settings`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Basic ${Buffer.from(site.content.admin_auth).toString("base64")}`,
    },
    body: JSON.stringify({ timezone: "Europe/Paris" }),
  });
  expect(timezone.status).toBe(200);
  // Something to report: a few answers in the ledger.
  for (const text of ["one", "two", "three"]) {
    const chat = await site.rest("/chat", {
      body: {
        post_id: site.content.nested,
        block_id: "nested-block-1",
        messages: [{ role: "user", content: `/echo ${text}` }],
        stream: false,
      },
    });
    expect(chat.status).toBe(200);
    await chat.arrayBuffer();
  }
}, 60_000);

afterAll(async () => {
  await site?.stop();
  await tap?.close();
  await gateway?.stop();
});

function setOperator(policy: Partial<typeof EMPTY_POLICY>): void {
  gateway.services.policies.set(gateway.siteId, "operator", { ...EMPTY_POLICY, ...policy });
}

function resetPolicies(): void {
  gateway.services.policies.set(gateway.siteId, "operator", { ...EMPTY_POLICY });
  gateway.services.policies.set(gateway.siteId, "site", { ...EMPTY_POLICY });
}

/** Requests WordPress sent the gateway since `from` (an index into tap.exchanges), as start lines. */
function sentSince(from: number): string[] {
  return tap.exchanges.slice(from).map((exchange) => {
    const raw = Buffer.concat(exchange.sent);
    return raw.subarray(0, Math.max(0, raw.indexOf("\r\n"))).toString("latin1");
  });
}

async function policy(body?: Record<string, unknown>): Promise<Response> {
  return body === undefined
    ? site.rest("/policy", { as: "admin" })
    : site.rest("/policy", { as: "admin", body });
}

async function adminPage(cookie: string, page: string): Promise<string> {
  const response = await fetch(`${site.url}/wp-admin/${page}`, { headers: { Cookie: cookie } });
  expect(response.status).toBe(200);
  return response.text();
}

describe("GET/POST /sluice/v1/policy", () => {
  it("reads both layers, the effective policy and spend, with WordPress's time zone", async () => {
    resetPolicies();
    setOperator({ dayCapPicoUsd: 5 * USD, monthCapPicoUsd: 50 * USD });
    const response = await policy();
    expect(response.status).toBe(200);
    const answer = (await response.json()) as PolicyReport;
    expect(answer).toMatchObject({
      site: gateway.siteId,
      operator: { day_usd: 5, month_usd: 50, models: null },
      site_policy: { day_usd: null, timezone: null },
      effective: { day_usd: 5, month_usd: 50, soft_threshold: 0.8 },
      wordpress_timezone: "Europe/Paris",
    });
    expect(answer.spend.today).toMatchObject({ cap_usd: 5, warning: false });
    expect(answer.spend.month.cap_usd).toBe(50);
    expect(answer.spend.today.settled_usd).toBeGreaterThan(0);
  });

  it("sets the site's layer and reads it back; WordPress's time zone goes with it", async () => {
    resetPolicies();
    setOperator({ dayCapPicoUsd: 5 * USD, monthCapPicoUsd: 50 * USD });
    const from = tap.exchanges.length;
    const wanted = {
      day_usd: 2,
      month_usd: 20,
      visitor_day_usd: 0.5,
      request_usd: 0.05,
      soft_threshold: 0.9,
      models: ["demo/sluice-demo"],
    };
    const saved = await policy(wanted);
    expect(saved.status).toBe(200);
    const answer = (await saved.json()) as PolicyReport;
    expect(answer.site_policy).toEqual({ ...wanted, timezone: "Europe/Paris" });
    expect(answer.effective).toEqual({ ...wanted, timezone: "Europe/Paris" });
    expect(answer.operator).toMatchObject({ day_usd: 5, month_usd: 50, timezone: null });
    expect(answer.spend.today.cap_usd).toBe(2);

    // What went to the gateway: a signed PUT of the fields, with the time zone added.
    const sent = sentSince(from);
    expect(sent).toEqual(["GET /v1/policy HTTP/1.1", "PUT /v1/policy HTTP/1.1"]);
    const put = parseHttpMessage(Buffer.concat(tap.exchanges[from + 1]?.sent ?? []));
    expect(JSON.parse(put.body.toString("utf8"))).toEqual({
      ...wanted,
      timezone: "Europe/Paris",
    });
    expect(put.headers["x-sluice-signature"]).toMatch(/^v1=[0-9a-f]{64}$/);

    const read = (await (await policy()).json()) as PolicyReport;
    expect(read.site_policy).toEqual(answer.site_policy);
    expect(gateway.services.policies.get(gateway.siteId, "site")).toMatchObject({
      dayCapPicoUsd: 2 * USD,
      models: ["demo/sluice-demo"],
      timezone: "Europe/Paris",
    });

    // null clears a field at the site's level; other fields keep their value.
    const cleared = (await (
      await policy({ models: null, request_usd: null })
    ).json()) as PolicyReport;
    expect(cleared.site_policy).toMatchObject({ models: null, request_usd: null, day_usd: 2 });
  });

  it("keeps a time zone the admin chose, and goes back to WordPress's on null", async () => {
    resetPolicies();
    const chosen = (await (await policy({ timezone: "Asia/Tokyo" })).json()) as PolicyReport;
    expect(chosen.site_policy.timezone).toBe("Asia/Tokyo");
    const from = tap.exchanges.length;
    const other = (await (await policy({ day_usd: 3 })).json()) as PolicyReport;
    expect(other.site_policy).toMatchObject({ day_usd: 3, timezone: "Asia/Tokyo" });
    const put = parseHttpMessage(Buffer.concat(tap.exchanges.at(-1)?.sent ?? []));
    expect(sentSince(from).at(-1)).toBe("PUT /v1/policy HTTP/1.1");
    expect(JSON.parse(put.body.toString("utf8"))).toEqual({ day_usd: 3 });
    const back = (await (await policy({ timezone: null })).json()) as PolicyReport;
    expect(back.site_policy.timezone).toBe("Europe/Paris");
  });

  it("answers a looser cap than the operator's with the gateway's 400 and its message", async () => {
    resetPolicies();
    setOperator({ dayCapPicoUsd: 5 * USD, models: ["demo/sluice-demo"] });
    const body = { day_usd: 10, models: ["demo/sluice-demo", "openai/gpt-4o-mini"] };
    const direct = await gateway.request("/v1/policy", { method: "PUT", body });
    const expected = (await direct.json()) as { error: { code: string; message: string } };
    expect(direct.status).toBe(400);

    const response = await policy(body);
    expect(response.status).toBe(400);
    const error = (await response.json()) as WpError;
    expect(error.code).toBe("sluice_gateway_policy_too_loose");
    expect(error.message).toBe(expected.error.message);
    expect(error.message).toMatch(/day_usd: must be at most 5/);
    expect(error.message).toMatch(/models: openai\/gpt-4o-mini not allowed/);
    expect(error.data.status).toBe(400);
    expect(gateway.services.policies.get(gateway.siteId, "site").dayCapPicoUsd).toBeNull();
  });

  it("refuses malformed fields itself, with 400 rest_invalid_param", async () => {
    for (const body of [
      { day_usd: -1 },
      { day_usd: "five" },
      { soft_threshold: 0 },
      { soft_threshold: 1.5 },
      { models: ["no-slash"] },
    ]) {
      const response = await policy(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(((await response.json()) as WpError).code).toBe("rest_invalid_param");
    }
  });

  it("passes the gateway's refusal of an unknown time zone on plainly", async () => {
    const response = await policy({ timezone: "Mars/Olympus_Mons" });
    expect(response.status).toBe(400);
    const error = (await response.json()) as WpError;
    expect(error.code).toBe("sluice_gateway_invalid_request");
    expect(error.message).toMatch(/timezone/);
  });

  it("answers 502 sluice_unavailable when the gateway cannot be reached", async () => {
    await tap.refuse();
    try {
      for (const route of ["/policy", "/usage", "/requests", "/requests.csv"]) {
        const response = await site.rest(route, { as: "admin" });
        expect(response.status, route).toBe(502);
        expect(((await response.json()) as WpError).code).toBe("sluice_unavailable");
      }
    } finally {
      await tap.accept();
    }
  });
});

describe("usage, requests and the CSV export", () => {
  it("reports spend by local day and by model", async () => {
    resetPolicies();
    await policy({ timezone: null });
    const response = await site.rest("/usage?days=7", { as: "admin" });
    expect(response.status).toBe(200);
    const usage = (await response.json()) as {
      timezone: string;
      total: { requests: number; cost_usd: number };
      by_day: { day: string; requests: number }[];
      by_model: { provider: string; model: string; requests: number; cost_usd: number }[];
    };
    expect(usage.timezone).toBe("Europe/Paris");
    expect(usage.by_day).toHaveLength(7);
    expect(usage.by_day.at(-1)?.requests).toBeGreaterThanOrEqual(3);
    expect(usage.total.requests).toBeGreaterThanOrEqual(3);
    expect(usage.total.cost_usd).toBeGreaterThan(0);
    expect(usage.by_model).toContainEqual(
      expect.objectContaining({ provider: "demo", model: "sluice-demo" }),
    );

    const defaults = (await (await site.rest("/usage", { as: "admin" })).json()) as {
      by_day: unknown[];
    };
    expect(defaults.by_day).toHaveLength(30);
    for (const days of ["0", "367", "x"]) {
      const refused = await site.rest(`/usage?days=${days}`, { as: "admin" });
      expect(refused.status).toBe(400);
    }
  });

  it("pages through recent requests, newest first", async () => {
    type Row = { id: string; started_at: string; model: string; cost_usd: number };
    const first = await site.rest("/requests?per_page=2", { as: "admin" });
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as { data: Row[]; next_before: number | null };
    expect(page1.data).toHaveLength(2);
    expect(page1.data[0]).toMatchObject({
      provider: "demo",
      model: "sluice-demo",
      status: "ok",
      finish_reason: "stop",
    });
    expect(Object.keys(page1.data[0] ?? {})).toEqual(
      expect.arrayContaining(["input_tokens", "output_tokens", "latency_ms", "cost_usd"]),
    );
    expect(typeof page1.next_before).toBe("number");

    const seen = new Set(page1.data.map((row) => row.id));
    let before = page1.next_before;
    while (before !== null) {
      const next = (await (
        await site.rest(`/requests?per_page=2&before=${before}`, { as: "admin" })
      ).json()) as { data: Row[]; next_before: number | null };
      for (const row of next.data) {
        expect(seen.has(row.id)).toBe(false);
        expect(Date.parse(row.started_at)).toBeLessThan(before);
        seen.add(row.id);
      }
      before = next.next_before;
    }
    const ledger = gateway.services.db
      .prepare("SELECT COUNT(*) AS n FROM requests WHERE site_id = ? AND status != 'open'")
      .get(gateway.siteId) as { n: number };
    expect(seen.size).toBe(ledger.n);

    // By offset, at page 1's moment: the same rows, and a total that counts them all.
    const counted = (await (await site.rest("/requests?per_page=2", { as: "admin" })).json()) as {
      data: Row[];
      total: number;
      as_of: number;
    };
    expect(counted.total).toBe(ledger.n);
    const byOffset: string[] = [];
    for (let offset = 0; offset < counted.total; offset += 2) {
      const next = (await (
        await site.rest(`/requests?per_page=2&offset=${offset}&before=${counted.as_of}`, {
          as: "admin",
        })
      ).json()) as { data: Row[]; total: number };
      expect(next.total).toBe(counted.total);
      byOffset.push(...next.data.map((row) => row.id));
    }
    expect(new Set(byOffset)).toEqual(seen);
    expect((await site.rest("/requests?offset=-1", { as: "admin" })).status).toBe(400);

    expect((await site.rest("/requests?per_page=0", { as: "admin" })).status).toBe(400);
    expect((await site.rest("/requests?per_page=501", { as: "admin" })).status).toBe(400);
  });

  it("downloads the gateway's CSV with a filename", async () => {
    const response = await site.rest("/requests.csv", { as: "admin" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(response.headers.get("content-disposition")).toMatch(
      new RegExp(
        `^attachment; filename="sluice-${gateway.siteId}-requests-\\d{4}-\\d{2}-\\d{2}\\.csv"$`,
      ),
    );
    const csv = await response.text();
    const direct = await (await gateway.request("/v1/requests?format=csv&limit=10000")).text();
    expect(csv).toBe(direct);
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toMatch(/^id,started_at,provider,model,/);
    expect(lines.length).toBeGreaterThanOrEqual(4);

    const limited = await site.rest("/requests.csv?limit=1", { as: "admin" });
    expect((await limited.text()).trimEnd().split("\r\n")).toHaveLength(2);
  });

  it("lists the whole catalogue with allowed flags for the allowlist picker", async () => {
    resetPolicies();
    setOperator({ models: ["demo/sluice-demo"] });
    try {
      const response = await site.rest("/models?all=1", { as: "admin" });
      expect(response.status).toBe(200);
      const list = (await response.json()) as {
        data: { id: string; allowed: boolean; input_usd_per_million: number }[];
      };
      expect(list.data).toContainEqual(
        expect.objectContaining({ id: "demo/sluice-demo", allowed: true }),
      );
      expect(list.data.every((model) => typeof model.input_usd_per_million === "number")).toBe(
        true,
      );
      const plain = (await (await site.rest("/models", { as: "admin" })).json()) as {
        data: { id: string; allowed?: boolean }[];
      };
      expect(plain.data.every((model) => model.allowed === undefined)).toBe(true);
    } finally {
      resetPolicies();
    }
  });

  it("keeps the new routes from visitors and subscribers", async () => {
    for (const route of ["/policy", "/usage", "/requests", "/requests.csv", "/models?all=1"]) {
      for (const method of route === "/policy" ? ["GET", "POST"] : ["GET"]) {
        const anonymous = await site.rest(route, { method });
        expect(anonymous.status, `${method} ${route}`).toBe(401);
        const subscriber = await site.rest(route, { method, as: "subscriber" });
        expect(subscriber.status, `${method} ${route}`).toBe(403);
      }
    }
  });
});

describe("the Chat block when the budget is used up", () => {
  it("relays the gateway's 429 budget_exhausted with its scope, reset time and Retry-After (its amounts for admins only)", async () => {
    resetPolicies();
    await policy({ timezone: null, day_usd: 0 });
    try {
      for (const [stream, as] of [
        [true, undefined],
        [false, undefined],
        [false, "admin"],
      ] as const) {
        const response = await site.rest("/chat", {
          body: {
            post_id: site.content.nested,
            block_id: "nested-block-1",
            messages: [{ role: "user", content: "hi" }],
            stream,
          },
          ...(as ? { as } : {}),
        });
        expect(response.status).toBe(429);
        expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        const retryAfter = Number(response.headers.get("retry-after"));
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(25 * 3600);
        const error = (await response.json()) as WpError;
        expect(error.code).toBe("sluice_gateway_budget_exhausted");
        expect(error.message).toBe("This site's chat budget is used up for today.");
        expect(error.data).toMatchObject({ status: 429, scope: "day" });
        if (as === "admin") expect(error.data.detail).toMatch(/daily spend cap of \$0 is reached/);
        else expect(JSON.stringify(error)).not.toContain("$0");
        expect(Date.parse(String(error.data.resets_at))).toBeGreaterThan(Date.now());
      }
    } finally {
      await policy({ day_usd: null });
    }
  });
});

describe("the soft-threshold notice in wp-admin", () => {
  it("warns on admin pages past the threshold, from a cache, not a gateway call per page", async () => {
    resetPolicies();
    const cookie = await site.logIn();
    const status = (await (await policy({ timezone: null })).json()) as PolicyReport;
    const spent = status.spend.today.settled_usd + status.spend.today.reserved_usd;
    expect(spent).toBeGreaterThan(0);

    // Below the threshold (spend is 10% of the cap): no notice.
    await policy({ day_usd: spent * 10 });
    expect(await adminPage(cookie, "index.php")).not.toContain("sluice-spend-notice");

    // 85% of the cap: a warning on every admin page, without asking the gateway again.
    const saved = (await (await policy({ day_usd: spent / 0.85 })).json()) as PolicyReport;
    expect(saved.spend.today.warning).toBe(true);
    const from = tap.exchanges.length;
    const dashboard = await adminPage(cookie, "index.php");
    expect(dashboard).toContain('class="notice notice-warning sluice-spend-notice"');
    expect(dashboard).toMatch(/Today \$[0-9.]+ is spent, 8[45]% of the daily cap of \$[0-9.]+\./);
    expect(dashboard).toContain("options-general.php?page=sluice");
    expect(await adminPage(cookie, "edit.php")).toContain("sluice-spend-notice");
    expect(sentSince(from)).toEqual([]);
    // Not on Settings → Sluice, whose Spend panel says it already.
    expect(await adminPage(cookie, "options-general.php?page=sluice")).not.toContain(
      "sluice-spend-notice",
    );

    // The cache expired (or was never filled): one call, then the cache again.
    await site.php("spend-status.php", "forget");
    const refetched = tap.exchanges.length;
    expect(await adminPage(cookie, "index.php")).toContain("sluice-spend-notice");
    expect(await adminPage(cookie, "index.php")).toContain("sluice-spend-notice");
    expect(sentSince(refetched)).toEqual(["GET /v1/policy HTTP/1.1"]);

    // The cap reached: an error notice that says when it resets.
    await policy({ day_usd: 0 });
    const reached = await adminPage(cookie, "index.php");
    expect(reached).toContain('class="notice notice-error sluice-spend-notice"');
    expect(reached).toContain("The daily cap of $0.00 is reached");
    await policy({ day_usd: null });
    expect(await adminPage(cookie, "index.php")).not.toContain("sluice-spend-notice");
  });

  it("remembers an unreachable gateway instead of asking it on every page", async () => {
    const cookie = await site.logIn();
    await site.php("spend-status.php", "forget");
    await tap.refuse();
    try {
      const started = performance.now();
      expect(await adminPage(cookie, "index.php")).not.toContain("sluice-spend-notice");
      expect(performance.now() - started).toBeLessThan(5000);
      const { cached } = await site.php<{ cached: { ok: boolean } | false }>("spend-status.php");
      expect(cached).toMatchObject({ ok: false });
    } finally {
      await tap.accept();
    }
    const from = tap.exchanges.length;
    expect(await adminPage(cookie, "index.php")).not.toContain("sluice-spend-notice");
    expect(sentSince(from)).toEqual([]);
  });
});

describe("the run", () => {
  it("uninstall.php also removes the cached spend status", async () => {
    await policy();
    const { before, after } = await site.php<{ before: string[]; after: string[] }>(
      "uninstall.php",
    );
    expect(before).toEqual(
      expect.arrayContaining(["_transient_sluice_spend_status", "sluice_settings"]),
    );
    expect(after).toEqual([]);
  });

  it("left no PHP warnings, notices or errors in WordPress's debug log", () => {
    const logged = existsSync(site.debugLog) ? readFileSync(site.debugLog, "utf8").trim() : "";
    expect(logged).toBe("");
  });
});
