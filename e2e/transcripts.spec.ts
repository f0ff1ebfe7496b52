import { expect, type Page, test } from "@playwright/test";
import { ChatBlock } from "./support/chat.ts";
import { readState } from "./support/state.ts";
import { logIn } from "./support/wordpress.ts";

// A Chat block with "Keep transcripts" on: the logged-in admin's conversation appears in
// Settings → Sluice with its cost, and WordPress's own Erase Personal Data tool removes it.

function transcriptsCard(page: Page) {
  return page
    .locator("#sluice-admin-root .sluice-admin__panel")
    .filter({ has: page.getByRole("heading", { name: "Transcripts", exact: true }) });
}

test("a kept conversation appears in Settings → Sluice and WordPress's eraser erases it", async ({
  page,
}) => {
  const { wordpress } = readState();
  const question = `Do you bake rye bread on Sundays? ${Date.now()}`;
  await logIn(page);
  await page.goto(`${wordpress.url}/wp-admin/options-general.php?page=sluice`);

  // A page holding a Chat block saved with keepTranscripts (its editor toggle's attribute).
  const pageUrl = await page.evaluate(async () => {
    const wp = (window as unknown as { wp: { apiFetch: (o: object) => Promise<{ link: string }> } })
      .wp;
    const created = await wp.apiFetch({
      path: "/wp/v2/pages",
      method: "POST",
      data: {
        title: "Kept transcripts",
        status: "publish",
        content: '<!-- wp:sluice/chat {"blockId":"e2e-transcripts-1","keepTranscripts":true} /-->',
      },
    });
    return created.link;
  });

  const chat = new ChatBlock(page);
  await chat.open(pageUrl);
  await chat.ask(question);
  await chat.waitUntilIdle();

  await page.goto(`${wordpress.url}/wp-admin/options-general.php?page=sluice`);
  const card = transcriptsCard(page);
  await card.getByLabel("Search transcripts").fill(question);
  await card.getByRole("button", { name: "Search", exact: true }).click();
  const row = card.locator("tr", { hasText: question });
  await expect(row).toBeVisible({ timeout: 15_000 });
  await expect(row).toContainText("$");
  await row.getByRole("button", { name: "Open" }).click();
  await expect(card.locator(".sluice-transcripts__turn")).toContainText(question);
  await expect(card.getByLabel("Keep transcripts for (days)")).toHaveValue(/^\d+$/);

  // Tools → Erase Personal Data, for the admin's own account, without the e-mail round trip.
  await page.goto(`${wordpress.url}/wp-admin/erase-personal-data.php`);
  await page.locator("#username_or_email_for_privacy_request").fill(wordpress.adminUser);
  const confirmation = page.locator("#send_confirmation_email");
  if (await confirmation.count()) await confirmation.uncheck();
  await page.locator("#submit").click();
  page.on("dialog", (dialog) => void dialog.accept());
  const erase = page.locator("button.remove-personal-data-handle").first();
  await expect(erase).toBeVisible();
  await erase.click();
  await expect(page.locator(".request-results")).toContainText(/erased|removed/i, {
    timeout: 30_000,
  });

  await page.goto(`${wordpress.url}/wp-admin/options-general.php?page=sluice`);
  await transcriptsCard(page).getByLabel("Search transcripts").fill(question);
  await transcriptsCard(page).getByRole("button", { name: "Search", exact: true }).click();
  await expect(transcriptsCard(page)).toContainText("No kept conversations.", { timeout: 15_000 });
});
