import { expect, test } from "@playwright/test";
import { countTextTokens } from "../server/tokens/count.ts";
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
import { docScreenshot, refreshScreenshots } from "./support/screenshots.ts";
import { blockSettings, insertBlock, logIn, openNewPage, publish } from "./support/wordpress.ts";

const PAGE_TITLE = "Ask Example Bakery";
const CHAT_TITLE = "Questions about our bread?";
const SUGGESTIONS = ["Do you bake rye bread?", "When are you open?"];
const SYSTEM_PROMPT =
  "You are the friendly help desk of Example Bakery. Answer in two or three sentences, and suggest calling the shop for orders.";

// Scenario 2 reads the page that scenario 1 publishes.
test.describe.configure({ mode: "serial" });

let publishedUrl = "";

test("an editor inserts the Chat block, sets its title and system prompt, and publishes", async ({
  page,
}) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await logIn(page);
  // The editor's preview never asks the chat: no request to the plugin's chat or ticket route.
  const chatRequests: string[] = [];
  page.on("request", (request) => {
    if (/sluice(?:\/|%2F)v1(?:\/|%2F)(?:chat|ticket)/.test(request.url())) {
      chatRequests.push(request.url());
    }
  });
  const canvas = await openNewPage(page);
  await canvas.getByRole("textbox", { name: "Add title" }).fill(PAGE_TITLE);

  await insertBlock(page, "Sluice Chat");
  const chatInEditor = canvas.locator(".wp-block-sluice-chat");
  await expect(chatInEditor).toBeVisible();
  await expect(chatInEditor).toContainText("Ask us anything");

  const settings = await blockSettings(page);
  await settings.getByLabel("Title", { exact: true }).fill(CHAT_TITLE);
  await settings.getByLabel("System prompt").fill(SYSTEM_PROMPT);
  await expect(chatInEditor).toContainText(CHAT_TITLE);

  // Suggested questions show in the preview as the page's (inert) buttons.
  await settings.getByLabel("Suggested questions").fill(SUGGESTIONS.join("\n"));
  await expect(chatInEditor.locator(".sluice-chat__suggestion")).toHaveText(SUGGESTIONS);
  await settings.getByLabel("Daily question limit").fill("500");
  await settings.getByRole("button", { name: "Memory and privacy" }).click();
  await settings.getByRole("spinbutton", { name: "Remember the conversation (days)" }).fill("3");

  // The block has its id, and the system prompt is in the saved attributes.
  const attributes = await page.evaluate(() => {
    const { select } = (window as unknown as { wp: WpGlobal }).wp.data;
    const block = select("core/block-editor")
      .getBlocks()
      .find((candidate) => candidate.name === "sluice/chat");
    return block?.attributes;
  });
  expect(attributes?.blockId).toMatch(/^[a-z0-9]{12,}$/);
  expect(attributes?.systemPrompt).toBe(SYSTEM_PROMPT);
  expect(attributes?.title).toBe(CHAT_TITLE);
  expect(attributes?.suggestions).toBe(SUGGESTIONS.join("\n"));
  expect(attributes?.dailyQuestions).toBe(500);
  expect(attributes?.memoryDays).toBe(3);
  expect(attributes?.keepTranscripts ?? false).toBe(false);

  // The screenshot shows the Answers panel: system prompt and model.
  await settings
    .getByLabel("System prompt")
    .evaluate((field) => field.scrollIntoView({ block: "center" }));
  await docScreenshot(page, "chat-editor");

  publishedUrl = await publish(page);
  expect(publishedUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  expect(chatRequests, "the editor sent nothing to the chat").toEqual([]);
});

test("a visitor asks on the published page and watches the answer grow; the ledger bills it", async ({
  browser,
}) => {
  expect(publishedUrl, "scenario 1 published the page").not.toBe("");
  const { context, page } = await newVisitor(browser, "reader");
  const chat = new ChatBlock(page);
  const opened = await chat.open(publishedUrl);
  // The system prompt stays on the server.
  expect(await opened.text()).not.toContain("help desk of Example Bakery");
  await expect(chat.root.locator(".sluice-chat__title")).toHaveText(CHAT_TITLE);
  await expect(chat.root.locator(".sluice-chat__suggestion")).toHaveText(SUGGESTIONS);

  const question = "What makes sourdough bread rise?";
  await chat.recordNextAnswer();
  const answer = await chat.nextAnswer();
  const chatResponse = page.waitForResponse(isChatPost);
  await chat.ask(question);
  const response = await chatResponse;
  expectSuiteTransport(response);
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("text/event-stream");
  const requestId = response.headers()["x-request-id"];
  expect(requestId, "the chat route passes the gateway's X-Request-Id on").toBeTruthy();

  if (refreshScreenshots) {
    // Mid-answer, with Stop showing: what a visitor sees while an answer streams.
    await expect.poll(() => chat.lengthOf(answer), { timeout: 15_000 }).toBeGreaterThan(250);
    await docScreenshot(page, "chat-page");
  }
  await chat.waitUntilIdle();

  const text = await chat.textOf(answer);
  expect(comparable(text)).toBe(comparable(demoAnswerTo(question)));

  const samples = await chat.samples();
  const final = samples.at(-1);
  expect(final?.length).toBe(await chat.lengthOf(answer));
  const intermediate = samples.slice(0, -1).filter((sample) => sample.length > 0);
  const distinct = new Set(intermediate.map((sample) => sample.length));
  expect(
    distinct.size,
    `the answer grows in steps (lengths seen: ${samples.map((sample) => sample.length).join(", ")})`,
  ).toBeGreaterThanOrEqual(3);
  // Spread over time, not written at once: the demo sends a word every 25 ms.
  const first = intermediate[0];
  expect(first && final ? final.at - first.at : 0).toBeGreaterThan(1000);

  await expect
    .poll(() => ledgerRow(requestId ?? "")?.status, { message: "ledger row settled" })
    .toBe("ok");
  const row = ledgerRow(requestId ?? "");
  expect(row?.provider).toBe("demo");
  expect(row?.streamed).toBe(1);
  expect(row?.cost_picousd).toBeGreaterThan(0);
  expect(row?.output_tokens).toBe(demoAnswerTokens(question));
  // The block's system prompt, which only the server knows, reached the model.
  expect(row?.input_tokens).toBeGreaterThan(countTextTokens(SYSTEM_PROMPT));

  await context.close();
});

interface WpGlobal {
  data: {
    select(store: "core/block-editor"): {
      getBlocks(): { name: string; attributes: Record<string, unknown> }[];
    };
  };
}
