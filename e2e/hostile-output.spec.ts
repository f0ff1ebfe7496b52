import { expect, type Locator, type Page, test } from "@playwright/test";
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

// Markdown turns text into markup, so each way a model's text (or text it was tricked into
// repeating) could become a script, a handler, a frame or a request is tried here, through
// the real route, word by word as the demo streams it, and again after a reload (the
// stored answer is rendered at once). Each is inert: no dialog, no `window.__pwned`, no
// request to the beacon host, no such element or attribute in the chat.

const BEACON_HOST = "evil.example";

/** Elements that must never come out of an answer. */
const ACTIVE_ELEMENTS =
  "script, img, iframe, frame, object, embed, svg, math, style, link, meta, base, form, input, button:not([class^='sluice-chat__']), details, video, audio, source, picture";

interface Watch {
  dialogs: string[];
  beaconRequests: string[];
}

/** Records dialogs and any request to the beacon host (which is never let out to the network). */
async function watchPage(page: Page): Promise<Watch> {
  const watch: Watch = { dialogs: [], beaconRequests: [] };
  page.on("dialog", (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => {});
  });
  page.context().on("request", (request) => {
    if (new URL(request.url()).hostname.endsWith(BEACON_HOST))
      watch.beaconRequests.push(request.url());
  });
  await page.context().route(`**://*${BEACON_HOST}/**`, (route) => route.abort());
  return watch;
}

/** Everything in the conversation that could run or load: what the checks below expect to be empty. */
async function activeParts(chat: ChatBlock) {
  // The conversation only: the block's own form and controls are not the model's output.
  return chat.log.evaluate((root, selector) => {
    const elements = [...root.querySelectorAll("*")];
    return {
      elements: [...root.querySelectorAll(selector)].map((element) =>
        element.outerHTML.slice(0, 120),
      ),
      handlers: elements.flatMap((element) =>
        element
          .getAttributeNames()
          .filter((name) => name.toLowerCase().startsWith("on"))
          .map((name) => `${element.nodeName} ${name}`),
      ),
      // Any URL-carrying attribute: only http, https and mailto links may be there.
      urls: elements.flatMap((element) =>
        [
          "href",
          "src",
          "srcset",
          "action",
          "formaction",
          "xlink:href",
          "data",
          "poster",
          "background",
        ]
          .filter((name) => element.hasAttribute(name))
          .map((name) => ({ name, value: element.getAttribute(name) ?? "" })),
      ),
      styles: elements.filter((element) => element.hasAttribute("style")).length,
    };
  }, ACTIVE_ELEMENTS);
}

async function expectInert(chat: ChatBlock, watch: Watch): Promise<void> {
  const parts = await activeParts(chat);
  expect(parts.elements, "no active elements in the chat").toEqual([]);
  expect(parts.handlers, "no event handler attributes in the chat").toEqual([]);
  for (const url of parts.urls) {
    expect(`${url.name}=${url.value}`, "only http, https and mailto links").toMatch(
      /^href=(?:https?|mailto):/,
    );
  }
  expect(parts.styles, "no style attributes in the chat").toBe(0);
  // Give a would-be handler or a lazy load time to happen before looking for its effect.
  await chat.page.waitForTimeout(400);
  expect(await chat.page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(watch.dialogs, "no dialog opened").toEqual([]);
  expect(watch.beaconRequests, `no request to ${BEACON_HOST}`).toEqual([]);
}

/** Asks `/echo TEXT`, checks the answer while inert, then again after a reload. */
async function askHostile(
  chat: ChatBlock,
  watch: Watch,
  text: string,
  check: (answer: Locator) => Promise<void>,
): Promise<void> {
  const answer = await chat.nextAnswer();
  await chat.ask(`/echo ${text}`);
  await chat.waitUntilIdle();
  await check(answer);
  await expectInert(chat, watch);

  // The stored conversation, rendered at once after a reload.
  await chat.page.reload();
  await expect(chat.input).toBeEditable();
  await expect(chat.assistantMessages).toHaveCount(2);
  await check(chat.assistantMessages.nth(1));
  await expectInert(chat, watch);
}

const HOSTILE_LINKS = [
  "Control: [safe](https://example.com/ok).",
  "[plain](javascript:window.__pwned=1) [call](javascript:alert(1))",
  "[mixed case](JaVaScRiPt:alert(2)) [spaced](  javascript:alert(3))",
  "[entity](&#x6A;avascript:alert(4)) [decimal](&#106;avascript:alert(5)) [colon](javascript&colon;alert(6))",
  "[tab](java&#9;script:alert(7)) [newline](java&#10;script:alert(8)) [escaped](java\\script:alert(9))",
  "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxMCk8L3NjcmlwdD4=) [vb](vbscript:msgbox(11))",
  '[angle](<javascript:alert(12)>) <javascript:alert(13)> [quote](<https://example.com/a" onmouseover="alert(14)>)',
  "[relative](/wp-admin/) [protocol-relative](//evil.example/x) [file](file:///etc/passwd)",
].join("\n\n");

test("Markdown links with javascript:, data: and other schemes, however written, are not links", async ({
  browser,
}) => {
  const { wordpress } = readState();
  const { context, page } = await newVisitor(browser, "hostile-links");
  const watch = await watchPage(page);
  const chat = new ChatBlock(page);
  await chat.open(wordpress.pageUrl);

  await askHostile(chat, watch, HOSTILE_LINKS, async (answer) => {
    const bubble = answer.locator(".sluice-chat__bubble");
    await expect(bubble).toContainText("Control: safe.");
    // The link texts stay, as text; only the control and the quoted https URL are links.
    for (const label of [
      "plain",
      "mixed case",
      "entity",
      "tab",
      "data",
      "vb",
      "relative",
      "file",
    ]) {
      await expect(bubble).toContainText(label);
    }
    const hrefs = await bubble
      .locator("a")
      .evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute("href")));
    for (const href of hrefs) expect(href).toMatch(/^https:\/\/example\.com\//);
    expect(hrefs).toContain("https://example.com/ok");
    // A click on each line of words that were meant to be links does nothing.
    for (const line of ["plain call", "mixed case spaced", "entity decimal colon", "data vb"]) {
      await bubble.getByText(line, { exact: true }).click();
    }
    await expect(page).toHaveURL(wordpress.pageUrl);
  });

  await context.close();
});

const RAW_HTML = [
  'Inline <script>window.__pwned=1</script> and <img src=x onerror="window.__pwned=2"> here.',
  "",
  '<iframe src="javascript:window.__pwned=3"></iframe>',
  "",
  "<svg onload=window.__pwned=4><circle r=5 /></svg>",
  "",
  '<a href="javascript:window.__pwned=5">a raw link</a> <b onmouseover=alert(6)>bold</b>',
  "",
  '<details open ontoggle="window.__pwned=7"><summary>x</summary></details>',
  "",
  '<style>body{background:url("https://evil.example/style.png")}</style>',
  "",
  '<object data="https://evil.example/object"></object><embed src="https://evil.example/embed">',
  "",
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=8">',
].join("\n");

test("raw HTML in an answer (script, img onerror, iframe, svg onload, …) shows as text and runs nothing", async ({
  browser,
}) => {
  const { wordpress } = readState();
  const { context, page } = await newVisitor(browser, "hostile-html");
  const watch = await watchPage(page);
  const chat = new ChatBlock(page);
  await chat.open(wordpress.pageUrl);

  await askHostile(chat, watch, RAW_HTML, async (answer) => {
    const bubble = answer.locator(".sluice-chat__bubble");
    // It reads as the model wrote it.
    await expect(bubble).toContainText("<script>window.__pwned=1</script>");
    await expect(bubble).toContainText('<img src=x onerror="window.__pwned=2">');
    await expect(bubble).toContainText("<svg onload=window.__pwned=4>");
    await expect(bubble).toContainText('<iframe src="javascript:window.__pwned=3"></iframe>');
    await expect(bubble.locator("a, b")).toHaveCount(0);
  });

  await context.close();
});

const IMAGES = [
  'A beacon: ![x](https://evil.example/beacon.png) and ![titled](https://evil.example/t.png "t").',
  "",
  "[![linked](https://evil.example/linked.png)](https://example.com/page)",
  "",
  "![ref][beacon]",
  "",
  "[beacon]: https://evil.example/ref.png",
  "",
  '<img src="https://evil.example/raw.png"> <img srcset="https://evil.example/set.png 1x">',
  "",
  "<video poster=https://evil.example/poster.png></video> <link rel=prefetch href=https://evil.example/prefetch>",
].join("\n");

test("images are written as their alt text: no beacon request leaves the page", async ({
  browser,
}) => {
  const { wordpress } = readState();
  const { context, page } = await newVisitor(browser, "hostile-images");
  const watch = await watchPage(page);
  const chat = new ChatBlock(page);
  await chat.open(wordpress.pageUrl);

  // The watch itself works: a request to the host from the page is seen (and blocked).
  await page.evaluate((host) => {
    void fetch(`https://${host}/probe`).catch(() => {});
  }, BEACON_HOST);
  await expect.poll(() => watch.beaconRequests.length).toBe(1);
  watch.beaconRequests.length = 0;

  await askHostile(chat, watch, IMAGES, async (answer) => {
    const bubble = answer.locator(".sluice-chat__bubble");
    await expect(bubble).toContainText("A beacon: x and titled.");
    // The linked image keeps its link, with the alt text as its text.
    await expect(bubble.getByRole("link", { name: "linked" })).toHaveAttribute(
      "href",
      "https://example.com/page",
    );
    // Reference definitions are not read: the reference stays text (its URL may be a link,
    // as any bare web address is, but nothing is fetched from it).
    await expect(bubble).toContainText("![ref][beacon]");
    await expect(bubble).toContainText('<img src="https://evil.example/raw.png">');
  });

  await context.close();
});
