import { AxeBuilder } from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import { ChatBlock, newVisitor } from "./support/chat.ts";
import { readState } from "./support/state.ts";
import { logIn } from "./support/wordpress.ts";

// axe-core's WCAG 2.1 A and AA rules (and its best practices) on the Chat block, the
// page that holds it and Settings → Sluice: none may fail.
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

// Markup that is WordPress's or the theme's, not Sluice's, left out of the whole-page
// checks: core's navigation block as Twenty Twenty-Five prints it (axe: landmark-unique,
// list) and core's admin bar (aria-allowed-role on its menu items).
const NOT_OURS = [".wp-block-navigation", "#wpadminbar"];

async function violations(page: Page, include?: string) {
  const builder = new AxeBuilder({ page }).withTags(TAGS);
  if (include) builder.include(include);
  else for (const selector of NOT_OURS) builder.exclude(selector);
  const { violations: found } = await builder.analyze();
  // Named in the failure: rule, impact, and the first elements it found.
  return found.map(
    (violation) =>
      `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes
        .slice(0, 3)
        .map((node) => node.target.join(" "))
        .join(", ")}`,
  );
}

test("axe: the Chat block and its page, before and after an answer, have no violations", async ({
  browser,
}) => {
  const { wordpress } = readState();
  const { context, page } = await newVisitor(browser, "axe");
  const chat = new ChatBlock(page);
  await chat.open(wordpress.pageUrl);
  expect(await violations(page, "[data-sluice-chat]")).toEqual([]);
  expect(await violations(page)).toEqual([]);

  // An answer with its actions (Copy, Regenerate) and the New chat control.
  const answer = await chat.nextAnswer();
  await chat.ask("What does a spend meter show?");
  await expect.poll(() => chat.lengthOf(answer), { timeout: 15_000 }).toBeGreaterThan(20);
  await chat.waitUntilIdle();
  expect(await violations(page, "[data-sluice-chat]")).toEqual([]);
  expect(await violations(page)).toEqual([]);
  await context.close();
});

test("axe: Settings → Sluice has no violations", async ({ page }) => {
  const { wordpress } = readState();
  await page.setViewportSize({ width: 1280, height: 1000 });
  await logIn(page);
  await page.goto(`${wordpress.url}/wp-admin/options-general.php?page=sluice`);
  await expect(page.locator("#sluice-admin-root .sluice-admin__panel").first()).toBeVisible();
  // Every card has rendered what it loads (no spinner left).
  await expect(page.locator("#sluice-admin-root .components-spinner")).toHaveCount(0, {
    timeout: 15_000,
  });
  expect(await violations(page, "#sluice-admin-root")).toEqual([]);
  expect(await violations(page)).toEqual([]);
});
