import { expect, test } from "@playwright/test";
import { readState } from "./support/state.ts";
import { logIn } from "./support/wordpress.ts";

// WordPress 7.x only: Settings → Connectors (wp-admin/options-connectors.php) is core's
// React screen. Sluice's card there is the one core makes for an AI Client provider with
// an API key (the site secret), shown as each card is: a group labelled by its h2 name.

test("Settings → Connectors shows the Sluice connector, connected, its secret never shown", async ({
  page,
}) => {
  const { wordpress, gateway } = readState();
  expect(wordpress.wordPressVersion, "Settings → Connectors needs WordPress 7.0+").toMatch(/^7\./);
  await logIn(page);
  await page.goto(`${wordpress.url}/wp-admin/options-connectors.php`);

  const card = page.getByRole("group", { name: "Sluice", exact: true });
  await expect(card).toBeVisible({ timeout: 15_000 });
  await expect(card.getByText(/through your Sluice gateway/)).toBeVisible();
  // Provisioned with the gateway URL, site id and secret: the provider is configured.
  await expect(card.getByText("Connected", { exact: true })).toBeVisible();

  await card.getByRole("button", { name: "Edit", exact: true }).click();
  const key = card.getByLabel("API Key");
  await expect(key).toBeVisible();
  await expect(key).toBeDisabled();
  const shown = await key.inputValue();
  expect(shown).toMatch(/^\u2022+/);
  expect(shown).not.toContain(gateway.secret);
  await expect(card.getByRole("button", { name: "Remove and replace" })).toBeVisible();

  // Nothing on the page holds the secret, not even the data the screen was given.
  expect(await page.content()).not.toContain(gateway.secret);
});
