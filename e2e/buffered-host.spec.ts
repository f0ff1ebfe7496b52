import { type Browser, expect, test } from "@playwright/test";
import {
  type BufferingProxy,
  type ProxyKind,
  startBufferingProxy,
} from "./support/buffering-proxy.ts";
import { ChatBlock, comparable, demoAnswerTo, newVisitor } from "./support/chat.ts";
import { readState } from "./support/state.ts";

const proxies: Record<ProxyKind, string> = {
  buffer: "a buffering proxy (whole responses)",
  brotli: "a compressing proxy (brotli on the stream, no flush per event)",
};

for (const [kind, description] of Object.entries(proxies) as [ProxyKind, string][]) {
  test(`behind ${description} the block falls back to buffered answers by itself`, async ({
    browser,
  }) => {
    const proxy = await startBufferingProxy(readState().wordpress.url, kind);
    try {
      await askBehind(proxy, browser, kind);
    } finally {
      await proxy.close();
    }
  });
}

async function askBehind(proxy: BufferingProxy, browser: Browser, kind: ProxyKind): Promise<void> {
  const { wordpress } = readState();
  const { context, page } = await newVisitor(browser, `buffered-${kind}`);
  const sentBodies: { stream?: unknown }[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().includes("sluice/v1/chat")) {
      sentBodies.push(request.postDataJSON() as { stream?: unknown });
    }
  });
  const chat = new ChatBlock(page);
  await chat.open(`${proxy.url}${new URL(wordpress.pageUrl).pathname}`);
  const restUrl = await chat.root.evaluate(
    (root) =>
      (JSON.parse(root.getAttribute("data-sluice-chat") ?? "{}") as { restUrl?: string }).restUrl,
  );
  expect(restUrl, "the page's REST calls go through the proxy too").toContain(proxy.url);

  // First question: streamed, but the proxy delivers the whole answer at the end.
  const first = "Why is my answer late?";
  await chat.recordNextAnswer();
  const firstAnswer = await chat.nextAnswer();
  await chat.ask(first);
  await chat.waitUntilIdle(30_000);
  expect(comparable(await chat.textOf(firstAnswer))).toBe(comparable(demoAnswerTo(first)));
  const samples = await chat.samples();
  const intermediate = new Set(samples.slice(0, -1).map((sample) => sample.length));
  expect(
    intermediate.size,
    `the answer arrived in one piece (lengths seen: ${samples.map((sample) => sample.length).join(", ")})`,
  ).toBeLessThan(3);
  expect(
    await page.evaluate(() =>
      Object.keys(localStorage).filter((key) => key.startsWith("sluice:buffered-host:")),
    ),
    "the block remembers that this host buffers",
  ).toHaveLength(1);

  // Second question: asked for a buffered answer.
  const second = "And now?";
  const secondAnswer = await chat.nextAnswer();
  await chat.ask(second);
  await chat.waitUntilIdle(30_000);
  expect(comparable(await chat.textOf(secondAnswer))).toBe(comparable(demoAnswerTo(second)));
  await expect(secondAnswer).not.toHaveClass(/is-stopped|is-interrupted/);
  await expect(chat.notices).toHaveCount(0);

  expect(sentBodies.map((body) => body.stream)).toEqual([true, false]);
  const chatCalls = proxy.log.filter(
    (entry) => entry.method === "POST" && entry.path.includes("sluice/v1/chat"),
  );
  expect(
    chatCalls.map((entry) => (JSON.parse(entry.requestBody) as { stream: unknown }).stream),
  ).toEqual([true, false]);
  expect(chatCalls.map((entry) => entry.status)).toEqual([200, 200]);
  expect(chatCalls[0]?.contentType).toContain("text/event-stream");
  expect(chatCalls[1]?.contentType).toContain("application/json");

  await context.close();
}
