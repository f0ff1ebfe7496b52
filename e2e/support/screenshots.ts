import path from "node:path";
import type { Page } from "@playwright/test";
import { repoRoot } from "./state.ts";

/**
 * docs/screenshots/ is refreshed only when asked (SLUICE_E2E_SCREENSHOTS=1, see
 * e2e/README.md), so an ordinary test run leaves the working tree clean.
 */
export const refreshScreenshots = process.env.SLUICE_E2E_SCREENSHOTS === "1";

export async function docScreenshot(
  page: Page,
  name: "chat-editor" | "chat-page" | "admin",
  options: { fullPage?: boolean } = {},
): Promise<void> {
  if (!refreshScreenshots) return;
  await page.screenshot({
    path: path.join(repoRoot, "docs", "screenshots", `${name}.png`),
    fullPage: options.fullPage ?? false,
    animations: "disabled",
    caret: "hide",
  });
}
