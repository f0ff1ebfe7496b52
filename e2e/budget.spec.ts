import { expect, type Page, test } from "@playwright/test";
import { formatPercent, formatTokens, formatUsd } from "../blocks/admin/lib/format.ts";
import { picoUsdToUsd } from "../server/pricing/money.ts";
import {
  ChatBlock,
  comparable,
  demoAnswerTo,
  expectSuiteTransport,
  isChatPost,
  newVisitor,
} from "./support/chat.ts";
import { ledgerRow, ledgerRows } from "./support/ledger.ts";
import { gatewayPolicy, putGatewayPolicy } from "./support/policy.ts";
import { readState } from "./support/state.ts";
import { logIn } from "./support/wordpress.ts";

/** A tiny daily cap: one demo answer costs far more. */
const TINY_CAP = "0.000001";

/** One card of Settings → Sluice, found by its heading (the screen has several Save buttons). */
function card(page: Page, title: string) {
  return page
    .locator("#sluice-admin-root .sluice-admin__panel")
    .filter({ has: page.getByRole("heading", { name: title, exact: true }) });
}

/** Opens Settings → Sluice and waits until the spend and limits have loaded. */
async function openSettings(page: Page): Promise<void> {
  await page.goto(`${readState().wordpress.url}/wp-admin/options-general.php?page=sluice`);
  await expect(card(page, "Caps").getByLabel("Daily cap (USD)", { exact: true })).toBeEditable({
    timeout: 20_000,
  });
}

/** Saves the Caps card with the daily cap as given ("" for none). */
async function saveDailyCap(page: Page, value: string): Promise<void> {
  const caps = card(page, "Caps");
  await caps.getByLabel("Daily cap (USD)", { exact: true }).fill(value);
  await caps.getByRole("button", { name: "Save caps", exact: true }).click();
  await expect(caps.getByText("Caps saved.")).toBeVisible();
}

/**
 * Has the plugin ask the gateway for the policy again (GET /wp-json/sluice/v1/policy as
 * the logged-in admin), which refreshes the spend status its admin notice caches.
 * Best effort: does nothing when the admin is not logged in.
 */
async function refreshSpendStatus(page: Page): Promise<void> {
  const { wordpress } = readState();
  const nonce = await page.request
    .get(`${wordpress.url}/wp-admin/admin-ajax.php?action=rest-nonce`)
    .then((response) => response.text())
    .catch(() => "");
  if (!/^[0-9a-f]{10}$/.test(nonce)) return;
  const response = await page.request.get(`${wordpress.url}/wp-json/sluice/v1/policy`, {
    headers: { "X-WP-Nonce": nonce },
  });
  expect(response.status(), "the plugin's policy route answers the admin").toBe(200);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The refusal as the visitor's browser got it: the plugin's WP_Error JSON (relay), or
 * the gateway's envelope (direct streaming), worded for visitors: no amounts.
 */
function budgetRefusal(body: unknown): { scope?: string; resetsAt?: string } {
  if (readState().mode === "relay") {
    const relayed = body as { code?: string; data?: { scope?: string; resets_at?: string } };
    expect(relayed.code).toBe("sluice_gateway_budget_exhausted");
    return { scope: relayed.data?.scope, resetsAt: relayed.data?.resets_at };
  }
  const { error } = body as {
    error?: { code?: string; message?: string } & Record<string, unknown>;
  };
  expect(error?.code).toBe("budget_exhausted");
  expect(error?.message, "the visitor is not told the cap's amount").not.toMatch(/\$|\d\.\d/);
  expect(Object.keys(error ?? {}).sort()).toEqual([
    "code",
    "message",
    "request_id",
    "resets_at",
    "scope",
  ]);
  return { scope: error?.scope as string, resetsAt: error?.resets_at as string };
}

test("a tiny daily cap set in Settings → Sluice: the visitor's next question gets the budget message; the Spend panel shows the spend", async ({
  browser,
  page,
}) => {
  test.setTimeout(120_000);
  const { wordpress } = readState();
  // The site's policy as the other scenarios expect it, put back in `finally`.
  const original = (await gatewayPolicy()).site_policy;
  const { context: visitorContext, page: visitorPage } = await newVisitor(browser, "budget");
  try {
    // 1. Before any cap: the visitor gets a full answer, billed in the ledger.
    const chat = new ChatBlock(visitorPage);
    await chat.open(wordpress.pageUrl);
    const question = "How much does one answer cost?";
    const answer = await chat.nextAnswer();
    const firstResponse = visitorPage.waitForResponse(isChatPost);
    await chat.ask(question);
    const first = await firstResponse;
    expectSuiteTransport(first);
    expect(first.status()).toBe(200);
    const requestId = first.headers()["x-request-id"] ?? "";
    expect(requestId, "the chat route passes the gateway's X-Request-Id on").not.toBe("");
    await chat.waitUntilIdle();
    expect(comparable(await chat.textOf(answer))).toBe(comparable(demoAnswerTo(question)));
    await expect
      .poll(() => ledgerRow(requestId)?.status, { message: "ledger row settled" })
      .toBe("ok");
    const billed = ledgerRow(requestId);
    const cost = picoUsdToUsd(billed?.cost_picousd ?? 0);
    expect(cost, "the answer is billed").toBeGreaterThan(Number(TINY_CAP));

    // 2. The admin sets a tiny daily cap in Settings → Sluice.
    await logIn(page);
    await openSettings(page);
    const locale = await page.evaluate(() => document.documentElement.lang || undefined);
    const today = card(page, "Spend against the caps").getByRole("region", { name: "Today" });
    await expect(today.locator(".sluice-spend__amount")).toHaveText(/^\$\S+ — no cap$/);
    await saveDailyCap(page, TINY_CAP);
    const dailyCap = card(page, "Caps").getByLabel("Daily cap (USD)", { exact: true });
    await expect(dailyCap).toHaveAccessibleDescription(
      new RegExp(`In force: ${escapeRegExp(formatUsd(Number(TINY_CAP), locale))}\\.$`),
    );
    expect((await gatewayPolicy()).effective.day_usd).toBe(Number(TINY_CAP));

    // 3. The visitor's next question is refused with the friendly budget message.
    const rowsBefore = ledgerRows().length;
    const assistantBefore = await chat.assistantMessages.count();
    const refusedResponse = visitorPage.waitForResponse(isChatPost);
    await chat.ask("And one more question, please?");
    const refused = await refusedResponse;
    expect(refused.status()).toBe(429);
    expect(refused.headers()["content-type"]).toContain("application/json");
    const refusal = budgetRefusal(await refused.json());
    expect(refusal.scope).toBe("day");
    const resetsAt = refusal.resetsAt ?? "";
    expect(Date.parse(resetsAt), "resets_at is an instant").not.toBeNaN();
    // The reset time as the block writes it: the time of day, in the visitor's locale.
    const resetTime = await visitorPage.evaluate(
      (iso) =>
        new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
          timeStyle: "short",
        }).format(Date.parse(iso)),
      resetsAt,
    );
    const notice = chat.notices.last();
    await expect(notice.locator(".sluice-chat__error-text")).toHaveText(
      `This site's chat budget is used up for today; it resets at ${resetTime}.`,
    );
    // Asking again before the reset would be refused the same way: no Retry.
    await expect(notice.getByRole("button", { name: "Retry" })).toHaveCount(0);
    await chat.waitUntilIdle();
    // No answer streamed: no new assistant message, no ledger row.
    await expect(chat.assistantMessages).toHaveCount(assistantBefore);
    expect(ledgerRows()).toHaveLength(rowsBefore);
    await expect(chat.input).toBeEditable();

    // 4. The admin's Spend panel shows today's spend against the cap, reached.
    await openSettings(page);
    const spend = (await gatewayPolicy()).spend.today;
    const used = spend.settled_usd + spend.reserved_usd;
    expect(used, "today's spend includes the visitor's answer").toBeGreaterThanOrEqual(
      cost * 0.999,
    );
    expect(spend.cap_usd).toBe(Number(TINY_CAP));
    await expect(today.locator(".sluice-spend__amount")).toHaveText(
      `${formatUsd(used, locale)} of ${formatUsd(Number(TINY_CAP), locale)} (${formatPercent(spend.used_fraction ?? 0, locale)})`,
    );
    const shown = Number(
      ((await today.locator(".sluice-spend__amount").textContent()) ?? "")
        .split(" of ")[0]
        ?.replace(/[^0-9.]/g, ""),
    );
    expect(shown, "the panel shows a spend above $0").toBeGreaterThan(0);
    await expect(
      today.getByRole("progressbar", { name: "Share of the daily cap used" }),
    ).toHaveAttribute("aria-valuenow", "100");
    await expect(today.locator(".components-notice.is-error")).toContainText(
      "The daily cap is reached: the chat answers no more questions until it resets",
    );

    // The recent requests: the visitor's answer is the newest row (the refusal is none).
    const newest = card(page, "Recent requests").locator("tbody tr").first();
    await expect(newest).toContainText(
      formatTokens(billed?.input_tokens ?? 0, billed?.output_tokens ?? 0, locale),
    );
    await expect(newest).toContainText(formatUsd(cost, locale));
    await expect(newest).toContainText("sluice-demo");
    await expect(newest).toContainText("Answered");

    // Other admin pages warn too (the plugin's cached spend status).
    await page.goto(`${wordpress.url}/wp-admin/`);
    await expect(page.locator(".sluice-spend-notice")).toContainText(
      /The daily cap of \$[0-9.,]+ is reached: the chat answers no more questions until it resets at/,
    );

    // 5. The admin clears the cap in the same screen: no cap in force, no warning.
    await openSettings(page);
    await saveDailyCap(page, "");
    await expect(dailyCap).toHaveAccessibleDescription(/In force: none\.$/);
    await expect(today.locator(".sluice-spend__amount")).toHaveText(/^\$\S+ — no cap$/);
    expect((await gatewayPolicy()).effective.day_usd).toBeNull();
    await page.goto(`${wordpress.url}/wp-admin/`);
    await expect(page.locator("#wpadminbar")).toBeVisible();
    await expect(page.locator(".sluice-spend-notice")).toHaveCount(0);
  } finally {
    // Other spec files share this gateway: its site policy goes back to what it was
    // (the screen's Save also set the time zone), whatever happened above.
    await putGatewayPolicy(original);
    await visitorContext.close();
    // And WordPress's cached spend status (the admin notice) follows at once.
    await refreshSpendStatus(page);
  }
});
