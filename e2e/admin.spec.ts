import { expect, type Page, test } from "@playwright/test";
import { docScreenshot } from "./support/screenshots.ts";
import { readState } from "./support/state.ts";
import { logIn } from "./support/wordpress.ts";

/** One card of Settings → Sluice, found by its heading (the screen has several Save buttons). */
function card(page: Page, title: string) {
  return page
    .locator("#sluice-admin-root .sluice-admin__panel")
    .filter({ has: page.getByRole("heading", { name: title, exact: true }) });
}

test("Settings → Sluice: a saved setting persists; Test connection is ok; Test streaming is progressive", async ({
  page,
}) => {
  const { wordpress, gateway, mode } = readState();
  await page.setViewportSize({ width: 1280, height: 1000 });
  await logIn(page);
  await page.goto(`${wordpress.url}/wp-admin/options-general.php?page=sluice`);

  const settings = card(page, "Gateway and chat");
  const rateLimit = settings.getByLabel("Rate limit (messages per visitor per minute)");
  await expect(rateLimit).toBeEditable();
  // Higher than the default (10), so the chat scenarios are not limited whatever the order.
  const newLimit = String(200 + Math.floor(Math.random() * 700));
  expect(await rateLimit.inputValue()).not.toBe(newLimit);
  await rateLimit.fill(newLimit);
  await settings.getByRole("button", { name: "Save", exact: true }).click();
  await expect(settings.getByText("Settings saved.")).toBeVisible();

  await page.reload();
  await expect(rateLimit).toHaveValue(newLimit);
  // Provisioned through wp-config.php constants, which the screen shows as such.
  await expect(settings.getByLabel("Gateway URL")).toBeDisabled();
  await expect(settings.getByLabel("Gateway URL")).toHaveValue(gateway.url);
  await expect(settings.getByText("Set in wp-config.php (SLUICE_GATEWAY_URL).")).toBeVisible();

  const connection = card(page, "Test connection");
  await connection.getByRole("button", { name: "Test connection" }).click();
  await expect(
    connection.getByText(/^Connected: the gateway offers \d+ models? \(answered in \d+ ms\)\.$/),
  ).toBeVisible();
  await expect(connection.getByText("demo/sluice-demo")).toBeVisible();

  // The gateway serves this site with its demo provider only: no key to rotate.
  await expect(card(page, "Provider keys")).toContainText(
    "The gateway has no provider key for this site: only its demo provider answers.",
  );

  const streaming = card(page, "Test streaming");
  await streaming.getByRole("button", { name: "Test streaming" }).click();
  if (mode === "relay") {
    // The probe route's ten timed events, through WordPress and the web server.
    await expect(streaming.getByText("Progressive: this host streams.")).toBeVisible({
      timeout: 15_000,
    });
    await expect(streaming.getByText(/^10 of 10 events; sent over \d+ ms/)).toBeVisible();
  } else {
    // In direct mode the test is a short chat from the gateway, as visitors get theirs.
    await expect(streaming.getByText("Direct streaming works.")).toBeVisible({ timeout: 15_000 });
    await expect(
      streaming.getByText(/\d+ pieces of text; the first after \d+ ms, the rest over \d+ ms\./),
    ).toBeVisible();
    await expect(streaming.getByText("In force: direct streaming.")).toBeVisible();
  }

  // The top of the screen, down to the two reports (the spend and limits sections follow).
  await page.setViewportSize({ width: 1280, height: 1600 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await docScreenshot(page, "admin");
});
