import { chromium, expect, type Page } from "@playwright/test";
import { chromiumPath, readState } from "./state.ts";
import { logIn } from "./wordpress.ts";

/**
 * Switches the site to direct streaming the way docs/deploy tells an admin to:
 * Settings → Sluice, "Direct streaming URL", Save, Test streaming. Resolves once the
 * screen says direct streaming is in force.
 */
export async function switchToDirectStreaming(
  page: Page,
  siteUrl: string,
  directUrl: string,
): Promise<void> {
  await logIn(page, siteUrl);
  await page.goto(`${siteUrl}/wp-admin/options-general.php?page=sluice`);
  const screen = page.locator("#sluice-admin-root");
  await page.getByLabel("Direct streaming URL").fill(directUrl);
  // The Save of the card that holds the field (other cards have a Save of their own).
  await page
    .locator("form")
    .filter({ has: page.getByLabel("Direct streaming URL") })
    .getByRole("button", { name: "Save", exact: true })
    .click();
  await expect(screen.getByText("Settings saved.")).toBeVisible();
  await page.getByRole("button", { name: "Test streaming", exact: true }).click();
  await expect(screen.getByText("Direct streaming works.")).toBeVisible({ timeout: 30_000 });
  await expect(page.locator(".sluice-admin__transport")).toHaveAttribute(
    "data-transport",
    "direct",
  );
}

/** The same, from a browser of its own (globalSetup has none). */
export async function switchSuiteToDirectStreaming(): Promise<void> {
  const { wordpress, directUrl } = readState();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    await switchToDirectStreaming(page, wordpress.url, directUrl);
  } finally {
    await browser.close();
  }
}

/** The admin's own REST call (wp.apiFetch on a wp-admin page, with its nonce). */
export async function postSettings(page: Page, data: Record<string, unknown>): Promise<void> {
  await page.evaluate(
    (body) =>
      (
        window as unknown as {
          wp: {
            apiFetch(options: { path: string; method: string; data: unknown }): Promise<unknown>;
          };
        }
      ).wp.apiFetch({ path: "/sluice/v1/settings", method: "POST", data: body }),
    data,
  );
}
