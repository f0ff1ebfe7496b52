import { expect, test } from "@playwright/test";
import { ChatBlock, newVisitor } from "./support/chat.ts";
import { readState } from "./support/state.ts";

const PAYLOAD = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;

test("hostile output renders as text: no script or image is created, nothing runs", async ({
  browser,
}) => {
  const { wordpress } = readState();
  const { context, page } = await newVisitor(browser, "hostile");
  const chat = new ChatBlock(page);
  await chat.open(wordpress.pageUrl);

  const answer = await chat.nextAnswer();
  // The demo provider answers "/echo TEXT" with TEXT, verbatim.
  await chat.ask(`/echo ${PAYLOAD}`);
  await chat.waitUntilIdle();

  await expect(answer.locator(".sluice-chat__bubble")).toHaveText(PAYLOAD);
  await expect(answer.locator("script, img")).toHaveCount(0);
  await expect(chat.root.locator("script, img, [onerror]")).toHaveCount(0);
  // Give a would-be onerror handler time to run before looking for its effect.
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();

  await context.close();
});
