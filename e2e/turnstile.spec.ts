import { rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { ChatBlock, newVisitor } from "./support/chat.ts";
import { readState } from "./support/state.ts";
import { logIn } from "./support/wordpress.ts";

// Cloudflare Turnstile end to end: the admin sets the keys in Settings → Sluice, the
// visitor's page renders the widget (a local stand-in for Cloudflare's script, served in
// place of challenges.cloudflare.com) and sends one token per question, and WordPress
// checks each at siteverify (a local fake, through the plugin's siteverify filter) before
// the gateway. Nothing here reaches Cloudflare.

const SITE_KEY = "0x4AAAAAAAe2e-site";
const SECRET = "0x4AAAAAAAe2e-secret";

/**
 * The stand-in for Cloudflare's api.js: `window.turnstile` with explicit rendering. Its
 * widget is two buttons: "Verify" passes (a `pass-N` token), "Fail" gives a token
 * siteverify refuses. A reset shows them again.
 */
const FAKE_API_JS = `
(() => {
  let issued = 0;
  const widgets = new Map();
  const draw = (id) => {
    const { container, parameters } = widgets.get(id);
    container.replaceChildren();
    for (const [label, prefix] of [["Verify", "pass"], ["Fail", "forged"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.addEventListener("click", () => {
        container.replaceChildren(Object.assign(document.createElement("span"), { textContent: "Checked" }));
        parameters.callback(prefix + "-" + ++issued);
      });
      container.append(button);
    }
  };
  window.turnstile = {
    render(container, parameters) {
      const id = "w" + (widgets.size + 1);
      widgets.set(id, { container, parameters });
      window.__turnstileRendered = parameters;
      draw(id);
      return id;
    },
    reset(id) { if (widgets.has(id)) draw(id); },
    getResponse() { return undefined; },
    remove(id) { widgets.get(id)?.container.replaceChildren(); widgets.delete(id); },
  };
})();
`;

interface Verified {
  secret: string;
  response: string;
  remoteip: string;
}

let siteverify: Server;
const verified: Verified[] = [];

function muPluginDir(): string {
  return path.join(readState().wordpress.dir, "wp-content", "mu-plugins");
}

test.beforeAll(async () => {
  siteverify = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const form = new URLSearchParams(body);
      const entry = {
        secret: form.get("secret") ?? "",
        response: form.get("response") ?? "",
        remoteip: form.get("remoteip") ?? "",
      };
      verified.push(entry);
      const success = entry.secret === SECRET && entry.response.startsWith("pass-");
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(
        JSON.stringify(
          success
            ? { success: true, "error-codes": [], hostname: "127.0.0.1" }
            : { success: false, "error-codes": ["invalid-input-response"] },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => siteverify.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(siteverify.address() as AddressInfo).port}/siteverify`;
  writeFileSync(
    path.join(muPluginDir(), "sluice-e2e-siteverify.php"),
    `<?php\nadd_filter( 'sluice_turnstile_siteverify_url', static fn() => ${JSON.stringify(url)} );\n`,
  );
});

test.afterAll(async ({ browser }) => {
  // Turnstile off again for the specs after this one.
  const page = await browser.newPage();
  await logIn(page);
  await page.goto(`${readState().wordpress.url}/wp-admin/options-general.php?page=sluice`);
  await saveSettings(page, { turnstile_site_key: "", turnstile_secret: "" });
  await page.close();
  rmSync(path.join(muPluginDir(), "sluice-e2e-siteverify.php"), { force: true });
  await new Promise<void>((resolve) => siteverify.close(() => resolve()));
});

/** POSTs the settings route from an admin page (for the clean-up, not the test's steps). */
async function saveSettings(page: Page, data: Record<string, string>): Promise<void> {
  await page.evaluate(async (body) => {
    const wp = (window as unknown as { wp: { apiFetch: (o: object) => Promise<unknown> } }).wp;
    await wp.apiFetch({ path: "/sluice/v1/settings", method: "POST", data: body });
  }, data);
}

test("with Turnstile keys saved, each question needs the check, verified by WordPress before the gateway", async ({
  browser,
  page,
}) => {
  const { wordpress } = readState();

  // The admin turns the check on in Settings → Sluice.
  await logIn(page);
  await page.goto(`${wordpress.url}/wp-admin/options-general.php?page=sluice`);
  const card = page
    .locator("#sluice-admin-root .sluice-admin__panel")
    .filter({ has: page.getByRole("heading", { name: "Bot check (Cloudflare Turnstile)" }) });
  await expect(card).toContainText("Off.");
  await card.getByLabel("Site key").fill(SITE_KEY);
  await card.getByLabel("Secret key").fill(SECRET);
  await card.getByRole("button", { name: "Save" }).click();
  await expect(card).toContainText("Bot check saved.");
  await expect(card).toContainText("On: visitors pass Cloudflare's check");
  await expect(card.getByLabel("Secret key")).toHaveValue("");
  await expect(page.locator("body")).not.toContainText(SECRET);

  // A visitor, with Cloudflare's script served by the stand-in.
  const { context, page: visitorPage } = await newVisitor(browser, "turnstile");
  let scriptRequests = 0;
  await context.route("https://challenges.cloudflare.com/**", async (route) => {
    scriptRequests++;
    expect(route.request().url()).toContain("/turnstile/v0/api.js?render=explicit");
    await route.fulfill({ contentType: "text/javascript", body: FAKE_API_JS });
  });
  const chat = new ChatBlock(visitorPage);
  await chat.open(wordpress.pageUrl);
  expect(scriptRequests).toBe(1);
  const widget = chat.root.locator(".sluice-chat__turnstile");
  await expect(widget).toHaveAttribute("aria-label", "Security check");
  await expect(widget.getByRole("button", { name: "Verify" })).toBeVisible();
  expect(
    await visitorPage.evaluate(
      () => (window as { __turnstileRendered?: { sitekey: string } }).__turnstileRendered?.sitekey,
    ),
  ).toBe(SITE_KEY);

  // A question asked before the check waits for it; then it is answered.
  const firstAnswer = await chat.nextAnswer();
  await chat.ask("Hello behind the check?");
  await expect(chat.root.locator(".sluice-chat__announcer")).toContainText(
    "Complete the security check",
  );
  const before = verified.length;
  await widget.getByRole("button", { name: "Verify" }).click();
  await chat.waitUntilIdle();
  await expect(firstAnswer.locator(".sluice-chat__bubble")).not.toBeEmpty();
  expect(verified.slice(before).map((entry) => [entry.secret, entry.response])).toEqual([
    [SECRET, "pass-1"],
  ]);

  // The token was single-use: the widget asks again for the next question.
  await expect(widget.getByRole("button", { name: "Verify" })).toBeVisible();
  await chat.ask("And a second one?");
  await widget.getByRole("button", { name: "Verify" }).click();
  await chat.waitUntilIdle();
  expect(verified.slice(before).map((entry) => entry.response)).toEqual(["pass-1", "pass-2"]);
  await expect(chat.notices).toHaveCount(0);

  // A token siteverify refuses: the visitor is told, with Retry, and nothing was answered.
  const answersBefore = await chat.assistantMessages.count();
  await chat.ask("A forged one?");
  await widget.getByRole("button", { name: "Fail" }).click();
  await chat.waitUntilIdle();
  await expect(chat.notices.last()).toContainText("The security check did not pass.");
  await expect(chat.assistantMessages).toHaveCount(answersBefore);
  await chat.notices.last().getByRole("button", { name: "Retry" }).click();
  await widget.getByRole("button", { name: "Verify" }).click();
  await chat.waitUntilIdle();
  await expect(chat.assistantMessages).toHaveCount(answersBefore + 1);
  expect(verified.slice(before).map((entry) => entry.response)).toEqual([
    "pass-1",
    "pass-2",
    "forged-3",
    "pass-4",
  ]);

  await context.close();
});
