// @vitest-environment jsdom
import { describe, expect, test } from "vitest";
import { type Block, findStableEnd, parseBlocks, parseInline } from "../view/format";
import { renderBlocks } from "../view/render-format";

function render(text: string): HTMLElement {
  const container = document.createElement("div");
  container.append(renderBlocks(document, parseBlocks(text)));
  return container;
}

/** Formats a text the way a stream does: chunk by chunk at the stable ends. */
function parseIncrementally(text: string, step: number): Block[] {
  const blocks: Block[] = [];
  let stable = 0;
  for (let end = step; end < text.length + step; end += step) {
    const received = text.slice(0, Math.min(end, text.length));
    const next = findStableEnd(received, stable);
    if (next > stable) blocks.push(...parseBlocks(received.slice(stable, next)));
    stable = next;
  }
  blocks.push(...parseBlocks(text.slice(stable)));
  return blocks;
}

describe("model output is shown as text, never as markup", () => {
  test("a <script> stays text and creates no element", () => {
    const container = render('Here you go: <script>alert("x")</script> done');
    expect(container.querySelector("script")).toBeNull();
    expect(container.textContent).toBe('Here you go: <script>alert("x")</script> done');
  });

  test("an <img onerror> stays text, in paragraphs, lists and code alike", () => {
    const hostile = '<img src=x onerror="alert(1)">';
    const container = render(
      `${hostile}\n\n- ${hostile}\n- **${hostile}**\n\n\`${hostile}\`\n\n\`\`\`html\n${hostile}\n\`\`\``,
    );
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelectorAll("[onerror]")).toHaveLength(0);
    expect(container.querySelector("li strong")?.textContent).toBe(hostile);
    expect(container.querySelector("pre code")?.textContent).toBe(hostile);
    expect(container.querySelector("p > code")?.textContent).toBe(hostile);
  });

  test("entities are not decoded into markup", () => {
    const container = render("&lt;b&gt;bold?&lt;/b&gt; &amp;");
    expect(container.querySelector("b")).toBeNull();
    expect(container.textContent).toBe("&lt;b&gt;bold?&lt;/b&gt; &amp;");
  });

  test("only a fixed set of elements is ever created, without attributes from the text", () => {
    const container = render(
      '[click](javascript:alert(1)) <a href="javascript:alert(1)">x</a>\n\n1. one\n2. <iframe>',
    );
    const tags = new Set(
      [...container.querySelectorAll("*")].map((node) => node.tagName.toLowerCase()),
    );
    for (const tag of tags)
      expect(["p", "ol", "ul", "li", "code", "pre", "strong", "em", "br", "blockquote"]).toContain(
        tag,
      );
    expect(container.querySelector("a, iframe")).toBeNull();
  });
});

describe("formatting", () => {
  test("paragraphs split at blank lines; single newlines become line breaks", () => {
    const container = render("First line\nsecond line\n\nNext paragraph");
    const paragraphs = container.querySelectorAll("p");
    expect(paragraphs).toHaveLength(2);
    expect(paragraphs[0]?.querySelectorAll("br")).toHaveLength(1);
    expect(paragraphs[1]?.textContent).toBe("Next paragraph");
  });

  test("bullet and numbered lists become ul/ol with li", () => {
    const container = render("Steps:\n\n1. Open\n2. Click\n3. Done\n\n- apples\n* pears\n+ plums");
    expect(container.querySelectorAll("ol > li")).toHaveLength(3);
    expect(container.querySelectorAll("ul > li")).toHaveLength(3);
    expect(container.querySelector("ol li")?.textContent).toBe("Open");
  });

  test("an ordered list keeps its first number", () => {
    const container = render("3. third\n4. fourth");
    expect(container.querySelector("ol")?.getAttribute("start")).toBe("3");
  });

  test("indented items nest", () => {
    const container = render("- fruit\n  - apple\n  - pear\n- veg");
    expect(container.querySelectorAll("ul > li > ul > li")).toHaveLength(2);
    expect(container.querySelectorAll(":scope > ul > li")).toHaveLength(2);
  });

  test("fenced code keeps its text and blank lines, and its language as data", () => {
    const container = render(
      "Try:\n\n```js\nconst a = 1;\n\nconsole.log(a * 2);\n```\n\nThat's it.",
    );
    const code = container.querySelector("pre > code") as HTMLElement;
    expect(code.textContent).toBe("const a = 1;\n\nconsole.log(a * 2);");
    expect(code.dataset.language).toBe("js");
    expect(container.querySelectorAll("p")).toHaveLength(2);
  });

  test("an unclosed fence runs to the end", () => {
    expect(parseBlocks("```\nline 1\n\nline 2")).toEqual([
      { type: "code", language: "", text: "line 1\n\nline 2" },
    ]);
  });

  test("inline code, bold and italic", () => {
    expect(parseInline("Use `npm test` **now**, *please* and __bold__ _it_")).toEqual([
      { type: "text", text: "Use " },
      { type: "code", text: "npm test" },
      { type: "text", text: " " },
      { type: "strong", children: [{ type: "text", text: "now" }] },
      { type: "text", text: ", " },
      { type: "em", children: [{ type: "text", text: "please" }] },
      { type: "text", text: " and " },
      { type: "strong", children: [{ type: "text", text: "bold" }] },
      { type: "text", text: " " },
      { type: "em", children: [{ type: "text", text: "it" }] },
    ]);
  });

  test("stray markers stay as they are", () => {
    expect(parseInline("2 * 3 * 4 and snake_case_name and `open")).toEqual([
      { type: "text", text: "2 * 3 * 4 and snake_case_name and `open" },
    ]);
  });

  test("headings and quotes", () => {
    const container = render("## Summary\n\n> quoted\n> twice");
    expect(container.querySelector("p.sluice-chat__heading strong")?.textContent).toBe("Summary");
    expect(container.querySelector("blockquote")?.textContent).toBe("quotedtwice");
  });
});

describe("findStableEnd", () => {
  test("ends after the last blank line outside a fence", () => {
    const text = "one\n\ntwo\n\nthr";
    expect(findStableEnd(text)).toBe("one\n\ntwo\n\n".length);
  });

  test("does not end inside an open fence, and ends after it closes", () => {
    expect(findStableEnd("```\na\n\nb\n")).toBe(0);
    expect(findStableEnd("```\na\n\nb\n```\nafter")).toBe("```\na\n\nb\n```\n".length);
  });

  test("formatting chunk by chunk equals formatting the whole answer", () => {
    const answer = [
      "Intro with **bold** and `code`.",
      "",
      "1. first",
      "2. second",
      "   - nested",
      "",
      "```ts",
      "const x = 1;",
      "",
      "const y = 2;",
      "```",
      "Right after the fence.",
      "",
      "> a quote",
      "",
      "Last paragraph without a newline",
    ].join("\n");
    const whole = parseBlocks(answer);
    for (const step of [1, 2, 5, 17, 100]) expect(parseIncrementally(answer, step)).toEqual(whole);
  });
});
