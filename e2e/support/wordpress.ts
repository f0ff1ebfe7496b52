import { expect, type FrameLocator, type Page } from "@playwright/test";
import { readState } from "./state.ts";

/** Logs the admin in with WordPress's login form (of the suite's server, or another one's). */
export async function logIn(page: Page, siteUrl = readState().wordpress.url): Promise<void> {
  const { wordpress } = readState();
  await page.goto(`${siteUrl}/wp-login.php`);
  // The login page's own scripts may still be setting up its fields when they are filled
  // (a submit then goes nowhere): fill, check, submit, and try again until it lands.
  await expect(async () => {
    if (/\/wp-admin\/?/.test(page.url())) return;
    await page.locator("#user_login").fill(wordpress.adminUser);
    await page.locator("#user_pass").fill(wordpress.adminPassword);
    await expect(page.locator("#user_pass")).toHaveValue(wordpress.adminPassword);
    await Promise.all([
      page.waitForURL(/\/wp-admin\/?/, { timeout: 10_000 }),
      page.locator("#wp-submit").click(),
    ]);
  }).toPass({ timeout: 40_000 });
  await expect(page.locator("#wpadminbar")).toBeVisible();
}

/**
 * Closes any modal the editor shows (welcome guide, "Choose a pattern", …), now and
 * whenever one turns up later in the test: those open late and cover the inserter.
 */
export async function closeEditorDialogs(page: Page): Promise<void> {
  const overlay = page.locator(".components-modal__screen-overlay");
  const close = async () => {
    const button = overlay.getByRole("button", { name: /^close/i });
    if (await button.count()) await button.first().click();
    else await page.keyboard.press("Escape");
  };
  await page.addLocatorHandler(overlay.first(), close);
  if (await overlay.first().isVisible()) await close();
}

/** Opens a new page in the block editor; returns the editor canvas (an iframe). */
export async function openNewPage(page: Page): Promise<FrameLocator> {
  const { wordpress } = readState();
  await page.goto(`${wordpress.url}/wp-admin/post-new.php?post_type=page`);
  await closeEditorDialogs(page);
  const canvas = page.frameLocator('iframe[name="editor-canvas"]');
  await expect(canvas.getByRole("textbox", { name: "Add title" })).toBeVisible({ timeout: 30_000 });
  return canvas;
}

/** Inserts a block with the inserter: search by name, click the result. */
export async function insertBlock(page: Page, name: string): Promise<void> {
  // The toolbar's toggle ("Block Inserter"; "Toggle block inserter" before WordPress 6.7).
  const toggle = page.locator("button.editor-document-tools__inserter-toggle");
  await toggle.click();
  const search = page.getByRole("searchbox", { name: /search/i });
  await search.fill(name);
  // The option's name starts with the block's icon glyph.
  await page.getByRole("listbox", { name: "Blocks" }).getByRole("option", { name }).first().click();
  // The inserter may stay open beside the canvas; close it so the settings sidebar shows.
  if ((await toggle.getAttribute("aria-pressed")) === "true") await toggle.click();
}

/** The settings sidebar's Block tab, opened if it is closed. */
export async function blockSettings(page: Page) {
  const settingsToggle = page
    .getByRole("region", { name: "Editor top bar" })
    .getByRole("button", { name: "Settings", exact: true });
  if ((await settingsToggle.getAttribute("aria-pressed")) !== "true") await settingsToggle.click();
  const blockTab = page.getByRole("tab", { name: "Block", exact: true });
  if ((await blockTab.getAttribute("aria-selected")) !== "true") await blockTab.click();
  return page.locator(".block-editor-block-inspector");
}

/** Publishes the post being edited (through the pre-publish panel); returns its URL. */
export async function publish(page: Page): Promise<string> {
  await page
    .getByRole("region", { name: "Editor top bar" })
    .getByRole("button", { name: "Publish", exact: true })
    .click();
  const panel = page.locator(".editor-post-publish-panel");
  await panel.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(panel.getByText(/is now live/)).toBeVisible({ timeout: 20_000 });
  const link = panel.getByRole("link", { name: /view page/i }).first();
  const href = await link.getAttribute("href");
  if (!href) throw new Error("the post-publish panel shows no link to the page");
  return href;
}
