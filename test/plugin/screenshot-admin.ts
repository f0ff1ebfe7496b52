/**
 * Renders Settings → Sluice in Chromium against a real WordPress and gateway, with
 * a month of demonstration spend, checks that every spend and limits panel shows
 * without a script error, and writes docs/screenshots/admin-spend.png:
 *
 *   node --import tsx test/plugin/screenshot-admin.ts [--keep]
 *
 * Needs `npm run build` first (the admin screen's script) and Chromium
 * (/usr/bin/chromium, or SLUICE_CHROMIUM). With --keep the site and gateway stay
 * up until Ctrl-C, for a look by hand. The ledger rows before today are made up
 * for the picture; today's come from real chats through the plugin.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "@playwright/test";
import { periodsAt } from "../../server/budget/periods.ts";
import { EMPTY_POLICY } from "../../server/budget/policy.ts";
import { startTestGateway } from "../support/gateway.ts";
import { startPluginSite } from "./support/site.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const target = path.join(repoRoot, "docs", "screenshots", "admin-spend.png");
const keep = process.argv.includes("--keep");
const USD = 1e12;
const DAY_MS = 86_400_000;
const TIME_ZONE = "Europe/Paris";

if (!existsSync(path.join(repoRoot, "plugin", "build", "admin", "index.js"))) {
  throw new Error("plugin/build/admin is missing: run `npm run build` first");
}

// Fake keys: the providers count as configured, so the allowlist picker lists their
// catalogues. Nothing is sent to them (every chat here goes to the demo provider).
const gateway = await startTestGateway({
  SLUICE_DEMO_DELAY_MS: "1",
  SLUICE_AUTO_MODELS: "demo/sluice-demo",
  SLUICE_OPENAI_API_KEY: "sk-screenshot-not-used",
  SLUICE_ANTHROPIC_API_KEY: "sk-ant-screenshot-not-used",
  SLUICE_MISTRAL_API_KEY: "screenshot-not-used",
});
const site = await startPluginSite({
  url: gateway.url,
  siteId: gateway.siteId,
  secret: gateway.secret,
});

try {
  const auth = `Basic ${Buffer.from(site.content.admin_auth).toString("base64")}`;
  const wpSettings = await fetch(`${site.url}/wp-json/wp/v2/settings`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: auth },
    body: JSON.stringify({ timezone: TIME_ZONE }),
  });
  if (!wpSettings.ok) throw new Error(`setting WordPress's time zone: HTTP ${wpSettings.status}`);

  gateway.services.policies.set(gateway.siteId, "operator", {
    ...EMPTY_POLICY,
    dayCapPicoUsd: 5 * USD,
    monthCapPicoUsd: 150 * USD,
  });
  const saved = await site.rest("/policy", {
    as: "admin",
    body: {
      day_usd: 5,
      month_usd: 120,
      visitor_day_usd: 0.5,
      request_usd: 0.05,
      timezone: null,
    },
  });
  if (!saved.ok) throw new Error(`saving the policy: ${await saved.text()}`);

  for (const question of ["What are your opening hours?", "Do you ship abroad?", "/echo Thanks!"]) {
    const chat = await site.rest("/chat", {
      body: {
        post_id: site.content.nested,
        block_id: "nested-block-1",
        messages: [{ role: "user", content: question }],
        stream: false,
      },
    });
    if (!chat.ok) throw new Error(`chat: ${await chat.text()}`);
    await chat.arrayBuffer();
  }
  seedDemonstrationSpend(4.1);

  await shoot();
  if (keep) {
    console.log(`Site: ${site.url}/wp-admin/options-general.php?page=sluice (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  }
} finally {
  // The gateway's close() waits for its (unref'd) checkpoint worker to exit: a timer keeps
  // the event loop alive meanwhile, else Node ends with the top-level await unsettled.
  const hold = setInterval(() => {}, 1000);
  await site.stop();
  await gateway.stop();
  clearInterval(hold);
}

/**
 * A month of made-up requests before now (a few models, a stopped answer, a
 * failure, a degraded one), scaled so that today is past the warning threshold
 * of the daily cap, with today's and this month's spend counters to match, so
 * that the chart, the tables and the meters have something to show.
 */
function seedDemonstrationSpend(todayUsd: number): void {
  const db = gateway.services.db;
  let seed = 7;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const models = [
    { provider: "openai", model: "gpt-4o-mini", input: 0.15, output: 0.6, upTo: 0.5 },
    { provider: "anthropic", model: "claude-3-5-haiku-20241022", input: 0.8, output: 4, upTo: 0.8 },
    { provider: "mistral", model: "mistral-small-latest", input: 0.1, output: 0.3, upTo: 1 },
  ];
  const now = Date.now();
  const today = periodsAt(now, TIME_ZONE);
  const rows: Record<string, string | number | null>[] = [];
  for (let daysAgo = 29; daysAgo >= 0; daysAgo--) {
    const weekday = new Date(now - daysAgo * DAY_MS).getUTCDay();
    const busy = weekday === 0 || weekday === 6 ? 0.5 : 1;
    const requests = Math.round((40 + random() * 60) * busy * (1 + (29 - daysAgo) / 40));
    for (let index = 0; index < requests; index++) {
      const started =
        daysAgo === 0
          ? now - 60_000 - Math.floor(random() * 5 * 3_600_000)
          : now - daysAgo * DAY_MS - Math.floor(random() * 12 * 3_600_000);
      const pick = random();
      const choice = models.find((model) => pick < model.upTo) ?? models[0];
      if (!choice) continue;
      const input = 400 + Math.floor(random() * 3000);
      const roll = random();
      const status = roll < 0.04 ? "aborted" : roll < 0.055 ? "error" : "ok";
      const output =
        status === "error" ? 0 : Math.floor((status === "aborted" ? 60 : 150) + random() * 700);
      const latency = status === "error" ? 900 : 600 + Math.floor(random() * 5000);
      const degraded = status === "ok" && random() < 0.02;
      const finish =
        status === "ok"
          ? random() < 0.1
            ? "length"
            : "stop"
          : status === "aborted"
            ? "aborted"
            : null;
      rows.push({
        id: `req_demo_${String(rows.length + 1).padStart(5, "0")}`,
        site: gateway.siteId,
        visitor: `wp.${(Math.floor(random() * 1e9) % 97).toString(16).padStart(40, "0")}`,
        provider: choice.provider,
        model: choice.model,
        requested: degraded ? "openai/gpt-4o" : `${choice.provider}/${choice.model}`,
        status,
        input,
        output,
        cost: ((input * choice.input + output * choice.output) / 1e6) * USD,
        finish,
        error: status === "error" ? "provider_unavailable" : null,
        latency,
        ttfc: status === "error" ? null : 250 + Math.floor(random() * 600),
        started,
        finished: started + latency,
        degraded: degraded ? "openai/gpt-4o" : null,
      });
    }
  }
  const isToday = (row: (typeof rows)[number]) =>
    periodsAt(Number(row.started), TIME_ZONE).day === today.day;
  const rawToday = rows.filter(isToday).reduce((sum, row) => sum + Number(row.cost), 0);
  const scale = (todayUsd * USD) / rawToday;
  const insert = db.prepare(
    `INSERT INTO requests (id, site_id, visitor, provider, model, requested_model, streamed, status,
       input_tokens, output_tokens, usage_source, cost_picousd, priced, finish_reason, error_code,
       latency_ms, ttfc_ms, started_at, finished_at, degraded_from)
     VALUES (@id, @site, @visitor, @provider, @model, @requested, 1, @status, @input, @output,
       'provider', @cost, 1, @finish, @error, @latency, @ttfc, @started, @finished, @degraded)`,
  );
  let todayCost = 0;
  let monthCost = 0;
  for (const row of rows) {
    const cost = Math.round(Number(row.cost) * scale);
    insert.run({ ...row, cost });
    if (periodsAt(Number(row.started), TIME_ZONE).month === today.month) monthCost += cost;
    if (isToday(row)) todayCost += cost;
  }
  const counter = db.prepare(
    `INSERT INTO spend_counters (site_id, scope, period, settled_picousd) VALUES (?, ?, ?, ?)
     ON CONFLICT (site_id, scope, period) DO UPDATE SET settled_picousd = settled_picousd + excluded.settled_picousd`,
  );
  counter.run(gateway.siteId, "day", today.dayKey, todayCost);
  counter.run(gateway.siteId, "month", today.monthKey, monthCost);
}

async function shoot(): Promise<void> {
  const browser = await chromium.launch({
    executablePath: process.env.SLUICE_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
    ],
  });
  try {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
      locale: "en-US",
      timezoneId: TIME_ZONE,
    });
    const cookie = await site.logIn();
    await context.addCookies(
      cookie.split("; ").map((pair) => {
        const [name = "", ...value] = pair.split("=");
        return { name, value: value.join("="), url: site.url };
      }),
    );
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      // Resources of other hosts (Gravatar) cannot load offline; the page's own must.
      const from = message.location().url;
      if (message.type() === "error" && (from === "" || from.startsWith(site.url))) {
        problems.push(`console: ${message.text()} (${from})`);
      }
    });
    page.on("requestfailed", (request) => {
      if (request.url().startsWith(site.url)) problems.push(`failed: ${request.url()}`);
    });
    await page.goto(`${site.url}/wp-admin/options-general.php?page=sluice`);
    const root = page.locator("#sluice-admin-root");
    for (const title of [
      "Spend against the caps",
      "Daily spend",
      "Spend by model",
      "Recent requests",
      "Caps",
      "Model allowlist",
      "Gateway and chat",
    ]) {
      await root.getByRole("heading", { name: title, exact: true }).waitFor({ timeout: 20_000 });
    }
    await root.locator(".sluice-chart__bar rect").first().waitFor();
    await root.locator(".dataviews-view-table tbody tr").first().waitFor();
    await root.getByRole("progressbar").first().waitFor();
    if (problems.length > 0) throw new Error(`the admin screen reported:\n${problems.join("\n")}`);

    // From the Spend heading to the end of the recent requests, in page coordinates.
    const area = await page.evaluate(() => {
      const top = document.getElementById("sluice-spend")?.getBoundingClientRect();
      const bottom = document.querySelector(".sluice-requests")?.getBoundingClientRect();
      const wrap = document.querySelector(".sluice-admin")?.getBoundingClientRect();
      if (!top || !bottom || !wrap) return null;
      return {
        x: Math.max(0, wrap.left - 16),
        y: top.top + window.scrollY - 16,
        width: wrap.width + 32,
        height: bottom.bottom - top.top + 32,
      };
    });
    if (!area) throw new Error("the spend panels are not on the page");
    mkdirSync(path.dirname(target), { recursive: true });
    await page.screenshot({ path: target, fullPage: true, clip: area });
    // The forms, by hand: a cap above the operator's gets the gateway's refusal, as it is.
    const daily = root.getByLabel("Daily cap (USD)");
    await daily.fill("10");
    await root.getByRole("button", { name: "Save caps" }).click();
    await root.getByText("day_usd: must be at most 5 (the operator's cap)").waitFor();
    // Chromium logs that refused request (HTTP 400) as a console error: it was expected.
    problems.splice(0, problems.length, ...problems.filter((line) => !line.includes("400")));
    await daily.fill("5");
    // The allowlist picker: search the catalogue, choose two models, save.
    await root.getByRole("radio", { name: "Only the models chosen below" }).check();
    await root.getByRole("searchbox", { name: "Search models" }).fill("gpt-4o-mini");
    await root.getByRole("checkbox", { name: "openai/gpt-4o-mini", exact: true }).check();
    await root.getByRole("searchbox", { name: "Search models" }).fill("");
    const extra = process.env.SLUICE_SCREENSHOT_EXTRA_DIR;
    if (extra) {
      // The rest of the screen, for a look by hand: the limits, then the whole page.
      await root
        .locator("#sluice-limits ~ .sluice-admin__panel")
        .first()
        .screenshot({ path: path.join(extra, "admin-caps.png") });
      await root
        .locator("#sluice-limits ~ .sluice-admin__panel")
        .nth(1)
        .screenshot({ path: path.join(extra, "admin-allowlist.png") });
      await page.screenshot({ path: path.join(extra, "admin-full.png"), fullPage: true });
    }
    await root.getByRole("button", { name: "Save allowlist" }).click();
    await root.getByText("Model allowlist saved.").waitFor();
    const allowlist = gateway.services.policies.get(gateway.siteId, "site").models;
    if (JSON.stringify(allowlist) !== JSON.stringify(["openai/gpt-4o-mini"])) {
      throw new Error(`the allowlist saved was ${JSON.stringify(allowlist)}`);
    }
    if (problems.length > 0) throw new Error(`the admin screen reported:\n${problems.join("\n")}`);
    console.log(`Wrote ${path.relative(repoRoot, target)}`);
  } finally {
    await browser.close();
  }
}
