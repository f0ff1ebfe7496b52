import { expect, test } from "@playwright/test";
import { ChatBlock, comparable, demoAnswerTo, isChatPost, newVisitor } from "./support/chat.ts";
import { startGatewayProcess, stopGatewayProcess } from "./support/gateway.ts";
import { ledgerRow } from "./support/ledger.ts";
import { readState, updateGatewayPid } from "./support/state.ts";

test("gateway down: a friendly error with Retry, the page keeps working, Retry succeeds once it is back", async ({
  browser,
}) => {
  const { wordpress, gateway } = readState();
  const { context, page } = await newVisitor(browser, "outage");
  const pageErrors: Error[] = [];
  page.on("pageerror", (error) => pageErrors.push(error));
  const chat = new ChatBlock(page);
  await chat.open(wordpress.pageUrl);

  await stopGatewayProcess(gateway.pid);
  let restarted = false;
  const restart = async () => {
    updateGatewayPid(await startGatewayProcess(gateway));
    restarted = true;
  };
  try {
    const question = "Are you there?";
    await chat.ask(question);
    const notice = chat.notices.last();
    await expect(notice).toContainText(
      "Chat is unavailable right now. Please try again in a moment.",
    );
    const retry = notice.getByRole("button", { name: "Retry" });
    await expect(retry).toBeVisible();
    // Only the welcome is left of the assistant's side: no half-written answer.
    await expect(chat.assistantMessages).toHaveCount(1);

    // The page keeps working: the form is usable, nothing threw.
    await chat.waitUntilIdle();
    await expect(chat.input).toBeEditable();
    await expect(chat.sendButton).toBeEnabled();
    await chat.input.fill("a draft the visitor is still typing");
    await expect(chat.input).toHaveValue("a draft the visitor is still typing");
    await chat.input.fill("");

    await restart();
    const answer = await chat.nextAnswer();
    const chatResponse = page.waitForResponse(isChatPost);
    await retry.click();
    const response = await chatResponse;
    expect(response.status()).toBe(200);
    await chat.waitUntilIdle();
    await expect(chat.notices).toHaveCount(0);
    expect(comparable(await chat.textOf(answer))).toBe(comparable(demoAnswerTo(question)));
    const requestId = response.headers()["x-request-id"] ?? "";
    await expect.poll(() => ledgerRow(requestId)?.status).toBe("ok");
    expect(pageErrors).toEqual([]);
  } finally {
    // Later tests need the gateway, whatever happened here.
    if (!restarted) await restart();
    await context.close();
  }
});
