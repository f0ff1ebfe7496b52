import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EMPTY_POLICY } from "../../server/budget/policy.ts";
import { demoAnswer } from "../../server/providers/demo/script.ts";
import { startTestGateway, type TestGateway } from "../support/gateway.ts";
import { type PluginSite, startPluginSite } from "./support/site.ts";
import { GatewayTap, parseHttpMessage } from "./support/tap.ts";

// WordPress 7.1 (Debian forky's package) on php -S + SQLite, the real plugin, the
// real gateway, and two fixture plugins: ai-caller, which uses the AI Client as any
// plugin would, and echo-provider, a stand-in for another provider plugin.

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

let gateway: TestGateway;
let tap: GatewayTap;
let site: PluginSite;

interface LedgerRow {
  id: string;
  source: string | null;
  provider: string;
  model: string;
  status: string;
  streamed: number;
  input_tokens: number;
  output_tokens: number;
  usage_source: string;
  priced: number;
  cost_picousd: number;
}

function rows(): LedgerRow[] {
  return gateway.services.db
    .prepare("SELECT * FROM requests ORDER BY started_at, rowid")
    .all() as LedgerRow[];
}

function auth(as: "admin" | "subscriber"): string {
  const login = as === "admin" ? site.content.admin_auth : site.content.subscriber_auth;
  return `Basic ${Buffer.from(login).toString("base64")}`;
}

/** A call of the ai-caller plugin's route: wp_ai_client_prompt( prompt )->generate_text(). */
async function ask(prompt: string, provider?: string, options: Record<string, unknown> = {}) {
  const response = await fetch(`${site.url}/wp-json/ai-caller/v1/ask`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: auth("admin") },
    body: JSON.stringify({ prompt, ...(provider ? { provider } : {}), ...options }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { text?: string; code?: string; message?: string },
  };
}

function ability(
  name: string,
  init: { method?: string; as?: "admin" | "subscriber"; input?: unknown } = {},
) {
  const method = init.method ?? "GET";
  const query =
    method === "GET" && init.input !== undefined
      ? `?${new URLSearchParams({ input: JSON.stringify(init.input) })}`
      : "";
  return fetch(`${site.url}/wp-json/wp-abilities/v1/abilities/${name}/run${query}`, {
    method,
    headers: {
      "Content-Type": "application/json",
      ...(init.as ? { Authorization: auth(init.as) } : {}),
    },
    ...(method === "GET" ? {} : { body: JSON.stringify({ input: init.input }) }),
  });
}

function resetPolicies(): void {
  gateway.services.policies.set(gateway.siteId, "operator", { ...EMPTY_POLICY });
  gateway.services.policies.set(gateway.siteId, "site", { ...EMPTY_POLICY });
}

beforeAll(async () => {
  gateway = await startTestGateway({ SLUICE_DEMO_DELAY_MS: "1" });
  const upstream = new URL(gateway.url);
  tap = new GatewayTap(upstream.hostname, Number(upstream.port));
  await tap.accept();
  site = await startPluginSite(
    { url: tap.url, siteId: gateway.siteId, secret: gateway.secret },
    { coreSuite: "forky" },
  );
  const plugins = path.join(site.dir, "wp-content", "plugins");
  cpSync(path.join(fixtures, "ai-caller"), path.join(plugins, "ai-caller"), { recursive: true });
  cpSync(path.join(fixtures, "echo-provider"), path.join(plugins, "echo-provider"), {
    recursive: true,
  });
  const active = await site.php<string[]>(
    "activate-plugins.php",
    "ai-caller/ai-caller.php",
    "echo-provider/echo-provider.php",
  );
  expect(active).toEqual(expect.arrayContaining(["sluice/sluice.php", "ai-caller/ai-caller.php"]));
}, 120_000);

afterAll(async () => {
  await site?.stop();
  await tap?.close();
  await gateway?.stop();
});

// Caps change on the gateway itself here (as with `sluice policy set`), so WordPress forgets its cached spend.
beforeEach(async () => {
  resetPolicies();
  await site.php("forget-spend.php");
});

describe("Sluice in WordPress 7.1's AI Client", () => {
  it("runs on WordPress 7.1", () => {
    expect(site.wordPressVersion).toMatch(/^7\.1\./);
  });

  it("answers another plugin's wp_ai_client_prompt() through the gateway's buffered mode, with the plugin as source", async () => {
    const before = rows().length;
    const answer = await ask("What is Sluice?", "sluice");
    expect(answer.status).toBe(200);
    expect(answer.body.text).toBe(demoAnswer([{ role: "user", content: "What is Sluice?" }]));
    const added = rows().slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      source: "plugin:ai-caller",
      provider: "demo",
      status: "ok",
      streamed: 0,
      usage_source: "reported",
    });
    expect(added[0]?.cost_picousd).toBeGreaterThan(0);
    // Settings → Sluice's request list (the plugin's route) shows the source.
    const listed = (await (await site.rest("/requests?per_page=5", { as: "admin" })).json()) as {
      data: { id: string; source: string | null }[];
    };
    expect(listed.data.find((row) => row.id === added[0]?.id)?.source).toBe("plugin:ai-caller");
  });

  it("sends the gateway the system instruction, max_tokens, temperature and source, buffered", async () => {
    const from = tap.exchanges.length;
    const answer = await ask("Short, please", "sluice", {
      system: "You answer in one line.",
      max_tokens: 64,
      temperature: 0.5,
    });
    expect(answer.status).toBe(200);
    const chats = tap.exchanges
      .slice(from)
      .map((exchange) => parseHttpMessage(Buffer.concat(exchange.sent)))
      .filter((message) => message.startLine === "POST /v1/chat HTTP/1.1");
    expect(chats).toHaveLength(1);
    expect(JSON.parse(chats[0]?.body.toString("utf8") ?? "{}")).toEqual({
      messages: [
        { role: "system", content: "You answer in one line." },
        { role: "user", content: "Short, please" },
      ],
      model: "auto",
      stream: false,
      source: "plugin:ai-caller",
      max_tokens: 64,
      temperature: 0.5,
    });
  });

  it("holds an anonymous visitor of a public AI feature to the per-visitor cap, not logged-in users", async () => {
    const from = tap.exchanges.length;
    const publicAsk = (from?: string, maxTokens?: number) =>
      site.rest("/../../ai-caller/v1/ask-public", {
        body: {
          prompt: "Hello from a visitor",
          provider: "sluice",
          ...(maxTokens ? { max_tokens: maxTokens } : {}),
        },
        ...(from ? { from } : {}),
      });
    const before = rows().length;
    expect((await publicAsk()).status).toBe(200);
    const spent = rows()[before]?.cost_picousd ?? 0;
    expect(spent).toBeGreaterThan(0);
    const sent = tap.exchanges
      .slice(from)
      .map((exchange) => parseHttpMessage(Buffer.concat(exchange.sent)))
      .filter((message) => message.startLine === "POST /v1/chat HTTP/1.1")
      .map((message) => JSON.parse(message.body.toString("utf8")) as { user?: string });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.user).toMatch(/^wp\.[0-9a-f]{40}$/);

    // A per-visitor cap of what that visitor has spent: their allowance is used up; another
    // visitor's short question still fits, and a logged-in user is held to the site's caps only.
    gateway.services.policies.set(gateway.siteId, "site", {
      ...EMPTY_POLICY,
      visitorDayCapPicoUsd: spent,
    });
    const refused = await publicAsk();
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { message: string }).message).toContain(
      "sluice_gateway_budget_exhausted",
    );
    expect((await publicAsk("127.0.0.3", 8)).status).toBe(200);
    expect((await ask("Editor at work", "sluice")).status).toBe(200);
  });

  it("lists the gateway's models within the site's allowlist, after auto", async () => {
    gateway.services.policies.set(gateway.siteId, "site", {
      ...EMPTY_POLICY,
      models: ["demo/sluice-demo"],
    });
    const listed = await site.php<{ provider: string[]; models: string[] | null }>(
      "ai-client-models.php",
    );
    expect(listed.provider).toContain("sluice");
    expect(listed.models).toEqual(["auto", "demo/sluice-demo"]);
  });

  it("meters a prompt another provider answered: its tokens in the ledger, with the source", async () => {
    const before = rows().length;
    const answer = await ask("Count me", "echo-fixture");
    expect(answer).toEqual({ status: 200, body: { text: "echo: Count me" } });
    const added = rows().slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      source: "plugin:ai-caller",
      provider: "echo-fixture",
      model: "echo-1",
      input_tokens: 12,
      output_tokens: 5,
      usage_source: "reported",
      priced: 0,
    });
    // A model the price table does not know is billed at the protective rates, never free.
    expect(added[0]?.cost_picousd).toBeGreaterThan(0);
  });

  it("refuses the next prompt, to any provider, once the day's cap is reached", async () => {
    const first = await ask("One more", "sluice");
    expect(first.status).toBe(200);
    // Today's spend is above this cap now.
    gateway.services.policies.set(gateway.siteId, "site", { ...EMPTY_POLICY, dayCapPicoUsd: 1 });
    const before = rows().length;
    for (const provider of ["sluice", "echo-fixture"]) {
      const refused = await ask("And another", provider);
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe("prompt_prevented");
    }
    expect(rows().length).toBe(before);
  });

  it("lets prompts to another provider through while the gateway cannot be reached", async () => {
    await tap.refuse();
    try {
      const first = await ask("Gateway down?", "echo-fixture");
      expect(first).toEqual({ status: 200, body: { text: "echo: Gateway down?" } });
      const second = await ask("Still down?", "echo-fixture");
      expect(second.status).toBe(200);
      // A Sluice prompt has no other way to go: it fails, as the AI Client's network error.
      const sluice = await ask("And through Sluice?", "sluice");
      expect(sluice.status).toBe(503);
      expect(sluice.body.code).toBe("prompt_network_error");
    } finally {
      await tap.accept();
    }
  });

  it("gives the gateway's refusal to a Sluice prompt when the cap check could not see it coming", async () => {
    // A per-request cap: the spend is fine, this one request is too dear.
    gateway.services.policies.set(gateway.siteId, "site", {
      ...EMPTY_POLICY,
      requestCapPicoUsd: 1,
    });
    const refused = await ask("Too dear", "sluice");
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe("prompt_client_error");
    expect(refused.body.message).toContain("sluice_gateway_budget_exhausted");
    // The visitors' wording: no amounts.
    expect(refused.body.message).not.toMatch(/\$\d/);
  });
});

describe("the sluice/* abilities over REST", () => {
  it("answers get-spend and get-policy to an administrator", async () => {
    const spend = await ability("sluice/get-spend", { as: "admin" });
    expect(spend.status).toBe(200);
    const report = (await spend.json()) as {
      today: { settled_usd: number; cap_usd: number | null };
      last_30_days: { requests: number; by_source: { source: string | null }[] };
    };
    expect(report.today.settled_usd).toBeGreaterThan(0);
    expect(report.last_30_days.requests).toBeGreaterThan(0);
    expect(report.last_30_days.by_source.map((row) => row.source)).toContain("plugin:ai-caller");

    gateway.services.policies.set(gateway.siteId, "operator", {
      ...EMPTY_POLICY,
      dayCapPicoUsd: 5e12,
    });
    const policy = await ability("sluice/get-policy", { as: "admin" });
    expect(policy.status).toBe(200);
    expect(await policy.json()).toMatchObject({
      operator: { day_usd: 5 },
      site_policy: { day_usd: null },
      effective: { day_usd: 5 },
    });
  });

  it("refuses every ability without manage_options, and without a login", async () => {
    for (const name of ["sluice/get-spend", "sluice/get-policy"]) {
      expect((await ability(name, { as: "subscriber" })).status).toBe(403);
      expect((await ability(name)).status).toBe(401);
    }
    const before = gateway.services.policies.effective(gateway.siteId).dayCapPicoUsd;
    const tighten = { method: "POST", input: { day_usd: 1 } } as const;
    expect((await ability("sluice/set-caps", { ...tighten, as: "subscriber" })).status).toBe(403);
    expect((await ability("sluice/set-caps", tighten)).status).toBe(401);
    expect(gateway.services.policies.effective(gateway.siteId).dayCapPicoUsd).toBe(before);
  });

  it("sets caps stricter than the operator's, and refuses looser ones with the gateway's words", async () => {
    gateway.services.policies.set(gateway.siteId, "operator", {
      ...EMPTY_POLICY,
      dayCapPicoUsd: 5e12,
    });
    const stricter = await ability("sluice/set-caps", {
      method: "POST",
      as: "admin",
      input: { day_usd: 2, request_usd: 0.5 },
    });
    expect(stricter.status).toBe(200);
    expect(await stricter.json()).toMatchObject({
      site_policy: { day_usd: 2, request_usd: 0.5 },
      effective: { day_usd: 2, request_usd: 0.5 },
    });
    expect(gateway.services.policies.effective(gateway.siteId).dayCapPicoUsd).toBe(2e12);

    const looser = await ability("sluice/set-caps", {
      method: "POST",
      as: "admin",
      input: { day_usd: 10 },
    });
    expect(looser.status).toBe(400);
    const error = (await looser.json()) as { code: string; message: string };
    expect(error.code).toBe("sluice_gateway_policy_too_loose");
    expect(error.message).toContain("day_usd");
    expect(gateway.services.policies.effective(gateway.siteId).dayCapPicoUsd).toBe(2e12);
  });

  it("validates set-caps' input against its schema (a negative cap, an unknown field)", async () => {
    for (const input of [{ day_usd: -1 }, { weekly_usd: 3 }, {}]) {
      const response = await ability("sluice/set-caps", { method: "POST", as: "admin", input });
      expect(response.status).toBe(400);
    }
  });

  it("takes read-only abilities by GET only, as core requires of readonly ones", async () => {
    const posted = await ability("sluice/get-spend", { method: "POST", as: "admin" });
    expect(posted.status).toBe(405);
  });
});

/** What Settings → Connectors does when its Save button is pressed: POST /wp/v2/settings. */
async function saveConnectorKey(key: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${site.url}/wp-json/wp/v2/settings`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: auth("admin") },
    body: JSON.stringify({ connectors_ai_sluice_api_key: key }),
  });
  return { status: response.status, text: await response.text() };
}

const FROM_CONSTANT: Record<string, string> = {
  SLUICE_SITE_SECRET: "secret_from_constant",
  SLUICE_GATEWAY_URL: "gateway_url_from_constant",
  SLUICE_SITE_ID: "site_id_from_constant",
};

/**
 * Drops wp-config.php's defines of these constants, so what the screen saves is in force,
 * and waits until the PHP server's workers read the new file (OPcache may serve the old
 * one for a few seconds): until the settings route says none of them is set.
 */
async function withoutConstants(...names: string[]): Promise<void> {
  const file = path.join(site.dir, "wp-config.php");
  const lines = readFileSync(file, "utf8").split("\n");
  writeFileSync(
    file,
    lines.filter((line) => !names.some((name) => line.includes(`'${name}'`))).join("\n"),
  );
  const deadline = Date.now() + 20_000;
  for (;;) {
    const report = (await (await site.rest("/settings", { as: "admin" })).json()) as Record<
      string,
      unknown
    >;
    if (names.every((name) => report[FROM_CONSTANT[name] ?? ""] === false)) return;
    if (Date.now() > deadline) throw new Error(`wp-config.php still defines ${names.join(", ")}`);
    await delay(250);
  }
}

describe("the Sluice connector (Settings → Connectors)", () => {
  it("is core's card for the provider, with the secret as its key, never shown", async () => {
    const connectors = await site.php<
      Record<
        string,
        {
          name: string;
          description: string;
          type: string;
          authentication: { method: string; setting_name?: string };
        }
      >
    >("ai-client-models.php", "connectors");
    expect(connectors.sluice?.description).toContain(
      `Gateway: ${tap.url}, site ${gateway.siteId}.`,
    );
    expect(connectors.sluice).toMatchObject({
      name: "Sluice",
      type: "ai_provider",
      authentication: { method: "api_key", setting_name: "connectors_ai_sluice_api_key" },
    });
    const settings = await fetch(`${site.url}/wp-json/wp/v2/settings`, {
      headers: { Authorization: auth("admin") },
    });
    expect(settings.status).toBe(200);
    const text = await settings.text();
    expect(text).not.toContain(gateway.secret);
    const shown = (JSON.parse(text) as Record<string, unknown>).connectors_ai_sluice_api_key;
    expect(typeof shown).toBe("string");
    expect(shown).not.toBe("");
  });

  it("is on the Connectors screen's data, connected, without the secret", async () => {
    const cookie = await site.logIn();
    const page = await fetch(`${site.url}/wp-admin/options-connectors.php`, {
      headers: { Cookie: cookie },
    });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('id="options-connectors-wp-admin-app"');
    expect(html).not.toContain(gateway.secret);
    const data =
      /<script[^>]*id="wp-script-module-data-options-connectors-wp-admin"[^>]*>([^<]*)<\/script>/.exec(
        html,
      );
    expect(data, "the screen's script module data").not.toBeNull();
    const { connectors } = JSON.parse(data?.[1] ?? "{}") as {
      connectors: Record<string, { name: string; authentication: Record<string, unknown> }>;
    };
    expect(connectors.sluice).toMatchObject({
      name: "Sluice",
      authentication: {
        method: "api_key",
        settingName: "connectors_ai_sluice_api_key",
        isConnected: true,
      },
    });
  });

  it("keeps the secret wp-config.php sets when the screen saves another", async () => {
    const saved = await fetch(`${site.url}/wp-json/wp/v2/settings`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: auth("admin") },
      body: JSON.stringify({ connectors_ai_sluice_api_key: "x".repeat(40) }),
    });
    expect(saved.status).toBe(200);
    expect(await saved.text()).not.toContain("x".repeat(40));
    const answer = await ask("Still signed?", "sluice");
    expect(answer.status).toBe(200);
  });

  it("seals a secret saved on the screen, which then signs the prompts; a short one changes nothing", async () => {
    await withoutConstants("SLUICE_SITE_SECRET");
    const saved = await saveConnectorKey(gateway.secret);
    expect(saved.status).toBe(200);
    expect(saved.text).not.toContain(gateway.secret);
    const stored = await site.php<{ stored: string; opened: string | null }>("inspect-secret.php");
    expect(stored.stored).not.toContain(gateway.secret);
    expect(stored.opened).toBe(gateway.secret);
    const option = await site.php<{ value: unknown }>(
      "read-option.php",
      "connectors_ai_sluice_api_key",
    );
    expect(option.value).toBe("sealed-in-sluice-settings");
    expect((await ask("Signed by the saved secret?", "sluice")).status).toBe(200);

    await saveConnectorKey("too-short");
    expect((await site.php<{ opened: string | null }>("inspect-secret.php")).opened).toBe(
      gateway.secret,
    );
  });

  it("removes the secret when the screen saves an empty key", async () => {
    await withoutConstants("SLUICE_SITE_SECRET");
    await saveConnectorKey("");
    expect((await site.php<{ stored: string }>("inspect-secret.php")).stored).toBe("");
    const refused = await ask("Anyone there?", "sluice");
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await saveConnectorKey(gateway.secret);
  });

  it("takes a whole connection, URL#site:secret, refusing a gateway on an internal address", async () => {
    await withoutConstants("SLUICE_SITE_SECRET", "SLUICE_GATEWAY_URL", "SLUICE_SITE_ID");
    const settings = async () =>
      (await (await site.rest("/settings", { as: "admin" })).json()) as {
        gateway_url: string;
        site_id: string;
        secret_set: boolean;
      };
    const before = await settings();
    const secret = "s".repeat(40);
    await saveConnectorKey(`http://127.0.0.1:9#other:${secret}`);
    expect(await settings()).toEqual(before);
    // Meant as a connection but not one (an upper-case site id): neither a connection nor a secret.
    const kept = (await site.php<{ opened: string | null }>("inspect-secret.php")).opened;
    await saveConnectorKey(`https://gateway.example.test#Blog:${secret}`);
    expect(await settings()).toEqual(before);
    expect((await site.php<{ opened: string | null }>("inspect-secret.php")).opened).toBe(kept);

    const accepted = await saveConnectorKey(`https://gateway.example.test#blog:${secret}`);
    expect(accepted.status).toBe(200);
    expect(await settings()).toMatchObject({
      gateway_url: "https://gateway.example.test",
      site_id: "blog",
      secret_set: true,
    });
    expect((await site.php<{ opened: string | null }>("inspect-secret.php")).opened).toBe(secret);
  });

  it("left PHP's log clean", () => {
    const log = existsSync(site.debugLog) ? readFileSync(site.debugLog, "utf8") : "";
    expect(log).not.toMatch(/sluice/i);
  });
});

describe("where wp_supports_ai() is false", () => {
  it("leaves the AI Client alone (no provider, no connector, no cap check), keeping the abilities", async () => {
    writeFileSync(
      path.join(site.dir, "wp-content", "mu-plugins", "no-ai.php"),
      "<?php\nadd_filter( 'wp_supports_ai', '__return_false' );\n",
    );
    const listed = await site.php<{ provider: string[]; models: string[] | null }>(
      "ai-client-models.php",
    );
    expect(listed.provider).not.toContain("sluice");
    expect(listed.models).toBeNull();
    const connectors = await site.php<Record<string, unknown>>(
      "ai-client-models.php",
      "connectors",
    );
    expect(Object.keys(connectors)).not.toContain("sluice");
    // Core refuses every prompt itself; Sluice adds nothing to the ledger.
    const before = rows().length;
    const refused = await ask("Anyone?", "echo-fixture");
    expect(refused.body.code).toBe("prompt_prevented");
    expect(rows().length).toBe(before);
    const registered = await fetch(
      `${site.url}/wp-json/wp-abilities/v1/abilities/sluice/get-policy`,
      {
        headers: { Authorization: auth("admin") },
      },
    );
    expect(registered.status).toBe(200);
  });
});
