import { expect, test } from "@playwright/test";
import { ChatBlock, newVisitor } from "./support/chat.ts";
import { readState } from "./support/state.ts";

// An answer written as models write Markdown (prose, a table, a fenced code block, links),
// streamed word by word by the demo's `/echo TEXT` through the suite's real route, and
// what the visitor's page makes of it: the elements, the highlighting, the links' rel,
// and, while it streams, that a block once on the page is not torn down and rebuilt.

const ANSWER = [
  "Here is a **summary** of the plugins.",
  "",
  "| Plugin | Purpose | Since |",
  "| --- | --- | ---: |",
  "| Sluice | Streaming chat | 2026 |",
  "| Other | Something `else` | 2025 |",
  "",
  "```ts",
  'const url = "/wp-json/sluice/v1/chat";',
  "function add(a: number, b: number): number {",
  "  return a + b;",
  "}",
  "```",
  "",
  "Read more in [the docs](https://example.com/docs?x=1&y=2) or write to [us](mailto:team@example.com).",
].join("\n");

/** What the page's MutationObserver saw while the answer was written. */
interface StreamRecord {
  /** Top-level nodes of the answer's bubble that were removed: tag, and whether they were last. */
  removedTopLevel: { name: string; last: boolean; text: string }[];
  /** Removed elements of these kinds, anywhere in the bubble. */
  removedStructure: string[];
  /** Texts the bubble showed with a fence marker as text. */
  fenceShown: string[];
  /** Whether the first table, pre, code and paragraph seen are still the ones in the bubble. */
  sameTable: boolean;
  samePre: boolean;
  sameCode: boolean;
  sameFirstParagraph: boolean;
  writes: number;
}

test("Markdown renders as a table, highlighted code and safe links, without flicker while it streams", async ({
  browser,
}) => {
  const { wordpress } = readState();
  const { context, page } = await newVisitor(browser, "markdown");
  const chat = new ChatBlock(page);
  await chat.open(wordpress.pageUrl);

  // Watch the next answer's bubble from its first write: every removal, every state.
  await chat.log.evaluate((log) => {
    const before = log.querySelectorAll(".sluice-chat__message--assistant").length;
    const FIRST_PARAGRAPH = ":scope > p:not(.sluice-chat__thinking)";
    const structural = new Set(["TABLE", "THEAD", "TBODY", "TR", "PRE", "CODE"]);
    const state = {
      removedTopLevel: [] as { name: string; last: boolean; text: string }[],
      removedStructure: [] as string[],
      fenceShown: [] as string[],
      first: {} as Record<string, Element | undefined>,
      writes: 0,
    };
    const bubbleNow = () => {
      const rows = log.querySelectorAll(".sluice-chat__message--assistant");
      return rows.length > before
        ? rows[rows.length - 1]?.querySelector(".sluice-chat__bubble")
        : null;
    };
    const observer = new MutationObserver((records) => {
      const bubble = bubbleNow();
      if (!bubble) return;
      state.writes += 1;
      for (const record of records) {
        if (!bubble.contains(record.target) && record.target !== bubble) continue;
        for (const node of record.removedNodes) {
          if (!(node instanceof Element)) continue;
          if (node.classList.contains("sluice-chat__thinking")) continue;
          if (record.target === bubble) {
            state.removedTopLevel.push({
              name: node.nodeName,
              last: record.nextSibling === null,
              text: (node.textContent ?? "").slice(0, 80),
            });
          }
          if (structural.has(node.nodeName)) state.removedStructure.push(node.nodeName);
          for (const inner of node.querySelectorAll("table, thead, tbody, tr, pre, code")) {
            state.removedStructure.push(inner.nodeName);
          }
        }
      }
      const text = bubble.textContent ?? "";
      if (text.includes("```")) state.fenceShown.push(text.slice(-80));
      for (const selector of ["table", "pre", "pre > code", FIRST_PARAGRAPH]) {
        state.first[selector] ??= bubble.querySelector(selector) ?? undefined;
      }
    });
    observer.observe(log, { subtree: true, childList: true, characterData: true });
    Object.assign(window, { __sluiceMarkdown: state });
  });

  await chat.ask(`/echo ${ANSWER}`);
  await chat.waitUntilIdle();
  const answer = chat.assistantMessages.last();
  const bubble = answer.locator(".sluice-chat__bubble");

  // The table: header cells, two body rows, the column's alignment, inline code in a cell.
  const table = bubble.locator(":scope > table");
  await expect(table).toHaveCount(1);
  await expect(table.locator("thead th")).toHaveText(["Plugin", "Purpose", "Since"]);
  await expect(table.locator("tbody tr")).toHaveCount(2);
  await expect(table.locator("tbody tr").first().locator("td")).toHaveText([
    "Sluice",
    "Streaming chat",
    "2026",
  ]);
  await expect(table.locator("th").nth(2)).toHaveAttribute("align", "right");
  await expect(table.locator("td code")).toHaveText("else");

  // The fence: <pre><code>, highlighted by highlight.js as TypeScript, the code verbatim.
  const code = bubble.locator(":scope > pre > code");
  await expect(code).toHaveCount(1);
  await expect(code).toHaveClass(/(^|\s)hljs(\s|$)/);
  await expect(code).toHaveClass(/language-typescript/);
  expect(await code.locator("span.hljs-keyword").allTextContents()).toEqual(
    expect.arrayContaining(["const", "function", "return"]),
  );
  await expect(code.locator("span.hljs-string")).toHaveText('"/wp-json/sluice/v1/chat"');
  expect(await code.textContent()).toBe(
    [
      'const url = "/wp-json/sluice/v1/chat";',
      "function add(a: number, b: number): number {",
      "  return a + b;",
      "}",
    ].join("\n"),
  );

  // The links: the web one opens in a new tab; both are nofollow and noopener.
  const links = bubble.locator("a");
  await expect(links).toHaveCount(2);
  await expect(links).toHaveText(["the docs", "us"]);
  const docs = links.nth(0);
  await expect(docs).toHaveAttribute("href", "https://example.com/docs?x=1&y=2");
  await expect(docs).toHaveAttribute("target", "_blank");
  await expect(links.nth(1)).toHaveAttribute("href", "mailto:team@example.com");
  for (const rel of await links.evaluateAll((anchors) =>
    anchors.map((anchor) => anchor.getAttribute("rel") ?? ""),
  )) {
    expect(rel.split(/\s+/)).toEqual(expect.arrayContaining(["nofollow", "noopener"]));
  }

  // The prose around them, with its emphasis; the Markdown marks themselves are gone.
  await expect(bubble.locator(":scope > p").first()).toHaveText(
    "Here is a summary of the plugins.",
  );
  await expect(bubble.locator(":scope > p strong")).toHaveText("summary");
  await expect(bubble).not.toContainText("```");
  await expect(bubble).not.toContainText("](");

  // While it streamed.
  const record = await page.evaluate(() => {
    const state = (
      window as unknown as {
        __sluiceMarkdown: {
          removedTopLevel: StreamRecord["removedTopLevel"];
          removedStructure: string[];
          fenceShown: string[];
          first: Record<string, Element | undefined>;
          writes: number;
        };
      }
    ).__sluiceMarkdown;
    const rows = document.querySelectorAll(".sluice-chat__message--assistant");
    const bubble = rows[rows.length - 1]?.querySelector(".sluice-chat__bubble");
    const same = (selector: string) =>
      state.first[selector] !== undefined &&
      state.first[selector] === bubble?.querySelector(selector);
    return {
      removedTopLevel: state.removedTopLevel,
      removedStructure: state.removedStructure,
      fenceShown: state.fenceShown,
      sameTable: same("table"),
      samePre: same("pre"),
      sameCode: same("pre > code"),
      sameFirstParagraph: same(":scope > p:not(.sluice-chat__thinking)"),
      writes: state.writes,
    } satisfies StreamRecord;
  });
  // Written in many steps (word by word), not in one piece at the end.
  expect(record.writes, "the answer was written while it streamed").toBeGreaterThan(20);
  // The table, the fence and the first paragraph are the elements first written for them:
  // growing, they were merged into, never replaced.
  expect(record.sameTable, "the table first written is the one shown").toBe(true);
  expect(record.samePre, "the <pre> first written is the one shown").toBe(true);
  expect(record.sameCode, "the <code> first written is the one shown").toBe(true);
  expect(record.sameFirstParagraph, "the first paragraph is never rewritten").toBe(true);
  expect(record.removedStructure, "no table part, pre or code was ever removed").toEqual([]);
  // A half-written fence never shows its backticks.
  expect(record.fenceShown, "no ``` shown as text").toEqual([]);
  // Only the open block at the end is ever replaced: the table's header row reads as a
  // paragraph until its delimiter row makes it a table (once at most, at the end).
  for (const removed of record.removedTopLevel) {
    expect(removed, "only the last block is ever replaced").toMatchObject({
      name: "P",
      last: true,
    });
    expect(removed.text).toMatch(/^\| Plugin/);
  }
  expect(record.removedTopLevel.length).toBeLessThanOrEqual(1);

  await context.close();
});
