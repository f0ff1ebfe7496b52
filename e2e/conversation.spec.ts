import { expect, type Page, type Response, test } from "@playwright/test";
import { ChatBlock, expectSuiteTransport, isChatPost, newVisitor } from "./support/chat.ts";
import { ledgerRow } from "./support/ledger.ts";
import { readState } from "./support/state.ts";
import { logIn } from "./support/wordpress.ts";

// The conversation a visitor has with the seeded Chat block, as the browser keeps it:
// across a reload and a navigation, until New chat; and what each answer offers (Copy,
// Regenerate, the admin's cost). Questions use the demo's `/echo TEXT`, answered with TEXT
// verbatim, so each answer is short and known. Whichever way the suite streams (relay or
// direct), each answer's X-Request-Id names its ledger row.

const userMessages = (chat: ChatBlock) => chat.root.locator(".sluice-chat__message--user");

/** Sends a question and waits for its whole answer; returns the chat request's response. */
async function askAndWait(chat: ChatBlock, question: string): Promise<Response> {
  const chatResponse = chat.page.waitForResponse(isChatPost);
  await chat.ask(question);
  const response = await chatResponse;
  expectSuiteTransport(response);
  await chat.waitUntilIdle();
  return response;
}

/** Waits until the view script has built the block again (after a reload or a navigation). */
async function waitForBlock(chat: ChatBlock): Promise<void> {
  await expect(chat.input).toBeEditable();
  await expect(chat.assistantMessages.first()).toBeVisible();
}

async function requestId(response: Response): Promise<string> {
  const id = (await response.allHeaders())["x-request-id"] ?? "";
  expect(id, "the chat answer names its ledger row").not.toBe("");
  return id;
}

function settledRow(id: string) {
  return expect
    .poll(() => ledgerRow(id)?.status, { timeout: 15_000, message: `ledger row ${id} settled` })
    .toBe("ok");
}

async function clipboardText(page: Page): Promise<string> {
  return page.evaluate(() => navigator.clipboard.readText());
}

test("a reload and a navigation keep the conversation; New chat clears it", async ({ browser }) => {
  const { wordpress } = readState();
  const { context, page } = await newVisitor(browser, "memory");
  const chat = new ChatBlock(page);
  await chat.open(wordpress.pageUrl);

  await askAndWait(chat, "/echo The first answer, kept.");
  await askAndWait(chat, "/echo The second answer, kept too.");
  await expect(chat.assistantMessages).toHaveCount(3); // the welcome and two answers

  await page.reload();
  await waitForBlock(chat);
  await expect(userMessages(chat)).toHaveText([
    /\/echo The first answer, kept\./,
    /\/echo The second answer, kept too\./,
  ]);
  await expect(chat.assistantMessages).toHaveCount(3);
  await expect(chat.assistantMessages.nth(2)).toContainText("The second answer, kept too.");

  await page.goto(wordpress.url);
  await page.goto(wordpress.pageUrl);
  await waitForBlock(chat);
  await expect(chat.assistantMessages).toHaveCount(3);
  await expect(chat.assistantMessages.nth(1)).toContainText("The first answer, kept.");

  // The next question goes with the turns shown: the demo echoes only the last one.
  await askAndWait(chat, "/echo A third.");
  await expect(chat.assistantMessages).toHaveCount(4);

  // New chat, from the keyboard.
  const newChat = chat.root.getByRole("button", { name: "New chat" });
  await newChat.focus();
  await page.keyboard.press("Enter");
  await expect(userMessages(chat)).toHaveCount(0);
  await expect(chat.assistantMessages).toHaveCount(1); // the welcome alone
  await expect(chat.input).toBeFocused();
  await expect(newChat).toBeHidden();

  await page.reload();
  await waitForBlock(chat);
  await expect(chat.assistantMessages).toHaveCount(1);
  await expect(userMessages(chat)).toHaveCount(0);

  await context.close();
});

test("Copy puts the answer's Markdown source on the clipboard", async ({ browser }) => {
  const { wordpress } = readState();
  const { context, page } = await newVisitor(browser, "copy");
  await context.grantPermissions(["clipboard-read", "clipboard-write"], {
    origin: new URL(wordpress.url).origin,
  });
  const chat = new ChatBlock(page);
  await chat.open(wordpress.pageUrl);

  const source = "Use **bold**, `npm ci` and [the docs](https://example.com/docs).";
  await askAndWait(chat, `/echo ${source}`);
  const answer = chat.assistantMessages.last();
  await expect(answer.locator(".sluice-chat__bubble strong")).toHaveText("bold");

  const copy = answer.getByRole("button", { name: "Copy" });
  await copy.click();
  await expect(answer.getByRole("button", { name: "Copied" })).toBeVisible();
  expect(await clipboardText(page)).toBe(source);
  await expect(chat.root.locator(".sluice-chat__announcer")).toHaveText("Copied");
  await expect(answer.getByRole("button", { name: "Copy" })).toBeVisible({ timeout: 5_000 });

  await context.close();
});

test("Regenerate replaces the answer with a new request: two rows in the ledger", async ({
  browser,
}) => {
  const { wordpress } = readState();
  const { context, page } = await newVisitor(browser, "regenerate");
  const chat = new ChatBlock(page);
  await chat.open(wordpress.pageUrl);

  const question = "/echo An answer worth asking for twice.";
  const first = await requestId(await askAndWait(chat, question));
  const answer = chat.assistantMessages.last();
  await answer.evaluate((row) => row.setAttribute("data-e2e-first-answer", ""));
  await expect(chat.root.locator(".sluice-chat__cost"), "a visitor sees no cost").toHaveCount(0);

  const regenerated = page.waitForResponse(isChatPost);
  await answer.getByRole("button", { name: "Regenerate" }).click();
  const response = await regenerated;
  expectSuiteTransport(response);
  await chat.waitUntilIdle();
  const second = await requestId(response);

  expect(second).not.toBe(first);
  await expect(
    chat.root.locator("[data-e2e-first-answer]"),
    "the first answer is gone",
  ).toHaveCount(0);
  await expect(chat.assistantMessages).toHaveCount(2); // the welcome and the new answer
  await expect(userMessages(chat)).toHaveCount(1);
  await expect(chat.assistantMessages.last()).toContainText("An answer worth asking for twice.");
  const sent = response.request().postDataJSON() as { messages?: unknown } | null;
  if (sent?.messages) {
    // Relay: the chat route's body is readable; the question goes again, alone.
    expect(sent.messages).toEqual([{ role: "user", content: question }]);
  }

  await settledRow(first);
  await settledRow(second);
  for (const id of [first, second]) {
    expect(ledgerRow(id)?.cost_picousd, `row ${id} is billed`).toBeGreaterThan(0);
  }

  await context.close();
});

test("an admin sees each answer's cost; a block's suggested questions are buttons until the first question", async ({
  page,
}) => {
  const { wordpress } = readState();
  await logIn(page);
  await page.goto(`${wordpress.url}/wp-admin/options-general.php?page=sluice`);
  const pageUrl = await page.evaluate(async () => {
    const wp = (window as unknown as { wp: { apiFetch: (o: object) => Promise<{ link: string }> } })
      .wp;
    const created = await wp.apiFetch({
      path: "/wp/v2/pages",
      method: "POST",
      data: {
        title: "Suggested questions",
        status: "publish",
        content:
          '<!-- wp:sluice/chat {"blockId":"e2e-suggestions-1","suggestions":"/echo What is Sluice?\\n\\n/echo How is it billed?"} /-->',
      },
    });
    return created.link;
  });

  const chat = new ChatBlock(page);
  await chat.open(pageUrl);
  const suggestions = chat.root.getByRole("group", { name: "Suggested questions" });
  await expect(suggestions.getByRole("button")).toHaveText([
    "/echo What is Sluice?",
    "/echo How is it billed?",
  ]);
  const chatResponse = page.waitForResponse(isChatPost);
  await suggestions.getByRole("button", { name: "/echo How is it billed?" }).click();
  await requestId(await chatResponse);
  await chat.waitUntilIdle();
  await expect(suggestions).toHaveCount(0);
  await expect(userMessages(chat)).toHaveText([/How is it billed\?/]);
  await expect(chat.assistantMessages.last().locator(".sluice-chat__cost")).toHaveText(
    /^Cost: \$\d/,
  );
});
