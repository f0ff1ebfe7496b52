import { expect, test } from "@playwright/test";
import {
  ChatBlock,
  comparable,
  demoAnswerTo,
  demoAnswerTokens,
  expectSuiteTransport,
  isChatPost,
  newVisitor,
} from "./support/chat.ts";
import { ledgerRow } from "./support/ledger.ts";
import { readState } from "./support/state.ts";

test("Stop mid-answer: the text stops growing and the ledger bills only what was made", async ({
  browser,
}) => {
  const { wordpress } = readState();
  const { context, page } = await newVisitor(browser, "stopper");
  const chat = new ChatBlock(page);
  await chat.open(wordpress.pageUrl);

  const question = "Explain, at length, how answers stream.";
  await chat.recordNextAnswer();
  const answer = await chat.nextAnswer();
  const chatResponse = page.waitForResponse(isChatPost);
  await chat.ask(question);
  const response = await chatResponse;
  expectSuiteTransport(response);
  const requestId = response.headers()["x-request-id"] ?? "";
  expect(requestId).not.toBe("");

  // A few words into the answer (about 900 characters in all), press Stop.
  await expect.poll(() => chat.lengthOf(answer), { timeout: 15_000 }).toBeGreaterThan(60);
  await chat.stopButton.click();

  await expect(answer).toHaveClass(/is-stopped/);
  await expect(answer.locator(".sluice-chat__note")).toHaveText("Stopped");
  await chat.waitUntilIdle();
  const stoppedAt = await chat.lengthOf(answer);
  const stoppedSamples = (await chat.samples()).length;
  await page.waitForTimeout(600);
  expect(await chat.lengthOf(answer), "the text no longer grows after Stop").toBe(stoppedAt);
  expect(await chat.samples(), "no writes to the answer after Stop").toHaveLength(stoppedSamples);
  expect(stoppedAt, "stopped mid-answer").toBeLessThan(
    comparable(demoAnswerTo(question)).length * 0.75,
  );
  await expect(chat.input).toBeEditable();

  // PHP notices the closed connection and hangs up; the gateway settles the row as aborted.
  await expect
    .poll(() => ledgerRow(requestId)?.status, { timeout: 15_000, message: "ledger row settled" })
    .toBe("aborted");
  const row = ledgerRow(requestId);
  const full = demoAnswerTokens(question);
  expect(row?.output_tokens).toBeGreaterThan(0);
  expect(row?.output_tokens, `fewer than the full answer's ${full} tokens`).toBeLessThan(full);
  expect(row?.cost_picousd, "partial answers are billed").toBeGreaterThan(0);

  await context.close();
});
