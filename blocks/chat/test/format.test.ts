// @vitest-environment jsdom
import { describe, expect, test } from "vitest";
import { parseBlocks, settledCount, shownLength } from "../view/format";
import { renderMarkdown } from "../view/render-format";

function render(text: string): HTMLElement {
  const container = document.createElement("div");
  container.append(renderMarkdown(document, text));
  return container;
}

describe("Markdown as models write it", () => {
  test("paragraphs split at blank lines; single newlines become line breaks", () => {
    const container = render("First line\nsecond line\n\nNext paragraph");
    const paragraphs = container.querySelectorAll("p");
    expect(paragraphs).toHaveLength(2);
    expect(paragraphs[0]?.querySelectorAll("br")).toHaveLength(1);
    expect(paragraphs[1]?.textContent).toBe("Next paragraph");
  });

  test("headings are styled paragraphs that keep their level, never h1–h6", () => {
    const container = render("# Big\n\n### Smaller *one*");
    const headings = container.querySelectorAll("p.sluice-chat__heading");
    expect([...headings].map((heading) => heading.textContent)).toEqual(["Big", "Smaller one"]);
    expect(headings[0]?.classList.contains("sluice-chat__heading--1")).toBe(true);
    expect(headings[1]?.classList.contains("sluice-chat__heading--3")).toBe(true);
    expect(headings[1]?.querySelector("em")?.textContent).toBe("one");
    expect(container.querySelector("h1, h2, h3, h4, h5, h6")).toBeNull();
  });

  test("bold, italic, strikethrough and inline code", () => {
    const container = render("Use `npm test` **now**, *please* and __bold__ _it_ ~~old~~");
    expect(container.querySelector("p > code")?.textContent).toBe("npm test");
    expect([...container.querySelectorAll("strong")].map((node) => node.textContent)).toEqual([
      "now",
      "bold",
    ]);
    expect([...container.querySelectorAll("em")].map((node) => node.textContent)).toEqual([
      "please",
      "it",
    ]);
    expect(container.querySelector("del")?.textContent).toBe("old");
  });

  test("stray markers stay as they are", () => {
    expect(render("2 * 3 * 4 and snake_case_name and `open").textContent).toBe(
      "2 * 3 * 4 and snake_case_name and `open",
    );
  });

  test("lists: bullets, numbers (with their first number), nesting, task boxes as characters", () => {
    const container = render(
      "Steps:\n\n3. Open\n4. Click\n\n- fruit\n  - apple\n  - pear\n- veg\n\n+ [x] done\n+ [ ] to do",
    );
    const ordered = container.querySelector("ol") as HTMLOListElement;
    expect(ordered.getAttribute("start")).toBe("3");
    expect([...ordered.querySelectorAll("li")].map((item) => item.textContent)).toEqual([
      "Open",
      "Click",
    ]);
    expect(container.querySelectorAll("ul > li > ul > li")).toHaveLength(2);
    const tasks = [...container.querySelectorAll("ul")].at(-1) as HTMLElement;
    expect([...tasks.querySelectorAll("li")].map((item) => item.textContent?.trim())).toEqual([
      "☑ done",
      "☐ to do",
    ]);
    expect(container.querySelector("input")).toBeNull();
  });

  test("a link keeps its http(s) or mailto href, gets nofollow noopener, and web links open in a new tab", () => {
    const container = render(
      "See [the docs](https://example.com/docs?a=1&b=2), www.example.org and write to help@example.com",
    );
    const links = [...container.querySelectorAll("a")];
    expect(links.map((link) => link.getAttribute("href"))).toEqual([
      "https://example.com/docs?a=1&b=2",
      "http://www.example.org",
      "mailto:help@example.com",
    ]);
    for (const link of links) {
      expect(link.relList.contains("nofollow")).toBe(true);
      expect(link.relList.contains("noopener")).toBe(true);
      expect(link.relList.contains("noreferrer")).toBe(true);
    }
    expect(links.map((link) => link.getAttribute("target"))).toEqual(["_blank", "_blank", null]);
    expect(links[0]?.textContent).toBe("the docs");
  });

  test("a relative link, or one to an anchor, is only its text", () => {
    const container = render("[home](/about) and [top](#top)");
    expect(container.querySelector("a")).toBeNull();
    expect(container.textContent).toBe("home and top");
  });

  test("tables: header, body and column alignment", () => {
    const container = render("| Plan | Price |\n|:-----|------:|\n| Free | $0 |\n| **Pro** | $9 |");
    const table = container.querySelector("table") as HTMLTableElement;
    expect([...table.querySelectorAll("thead th")].map((cell) => cell.textContent)).toEqual([
      "Plan",
      "Price",
    ]);
    const rows = [...table.querySelectorAll("tbody tr")].map((row) =>
      [...row.querySelectorAll("td")].map((cell) => cell.textContent),
    );
    expect(rows).toEqual([
      ["Free", "$0"],
      ["Pro", "$9"],
    ]);
    expect(table.querySelector("tbody td strong")?.textContent).toBe("Pro");
    expect(table.querySelector("th")?.getAttribute("align")).toBe("left");
    expect(table.querySelectorAll("th")[1]?.getAttribute("align")).toBe("right");
  });

  test("fenced code in a known language is highlighted, its text unchanged", () => {
    const source = 'const a = 1;\n\nconsole.log("a", a * 2);';
    const container = render(`Try:\n\n\`\`\`ts\n${source}\n\`\`\`\n\nThat's it.`);
    const code = container.querySelector("pre > code") as HTMLElement;
    expect(code.textContent).toBe(source);
    expect(code.className).toBe("hljs language-typescript");
    expect(code.querySelector("span.hljs-keyword")?.textContent).toBe("const");
    expect(code.querySelector("span.hljs-string")?.textContent).toBe('"a"');
    expect(container.querySelectorAll(":scope > p")).toHaveLength(2);
  });

  test("every registered language highlights, by name and by the aliases models use", () => {
    const samples: [string, string, string][] = [
      ["js", "javascript", "let x = 1;"],
      ["typescript", "typescript", "let x: number = 1;"],
      ["python", "python", "def f():\n    return 1"],
      ["py", "python", "import os"],
      ["php", "php", "<?php echo 1;"],
      ["bash", "bash", "if [ -f x ]; then echo ok; fi"],
      ["sh", "bash", "echo $HOME"],
      ["json", "json", '{"a": true}'],
      ["html", "xml", '<p class="x">hi</p>'],
      ["css", "css", ".a { color: red; }"],
      ["sql", "sql", "SELECT id FROM posts WHERE id = 1;"],
    ];
    for (const [fence, language, source] of samples) {
      const code = render(`\`\`\`${fence}\n${source}\n\`\`\``).querySelector("pre > code");
      expect(code?.className).toBe(`hljs language-${language}`);
      expect(code?.querySelector("span[class^='hljs-']")).not.toBeNull();
      expect(code?.textContent).toBe(source);
    }
  });

  test("code in an unknown language, or none, is plain text", () => {
    const container = render("```rust\nfn main() {}\n```\n\n```\n<b>x</b>\n```");
    const [rust, plain] = [...container.querySelectorAll("pre > code")];
    expect(rust?.className).toBe("language-rust");
    expect(rust?.children).toHaveLength(0);
    expect(plain?.getAttribute("class")).toBeNull();
    expect(plain?.textContent).toBe("<b>x</b>");
    expect(container.querySelector("b")).toBeNull();
  });

  test("an unclosed fence runs to the end", () => {
    const code = render("```\nline 1\n\nline 2").querySelector("pre > code");
    expect(code?.textContent).toBe("line 1\n\nline 2");
  });

  test("quotes and rules", () => {
    const container = render("> quoted\n> twice\n\n---\n\nafter");
    const quote = container.querySelector("blockquote") as HTMLElement;
    expect(quote.textContent?.trim()).toBe("quotedtwice");
    expect(quote.querySelectorAll("p > br")).toHaveLength(1);
    expect(container.querySelector("hr")).not.toBeNull();
  });
});

describe("reading a growing text", () => {
  test("the blocks' sources add up to the text, line ends normalized", () => {
    const text = "# A\r\n\r\n- b\r\n- c\r\n\r\n```js\r\nx\r\n```\r\nlast";
    const blocks = parseBlocks(text);
    expect(blocks.map((block) => block.raw).join("")).toBe(text.replace(/\r\n/g, "\n"));
  });

  test("the last block is open; one before it settles once two more lines are complete", () => {
    expect(settledCount(parseBlocks("One paragraph\n\nand another"))).toBe(0);
    expect(settledCount(parseBlocks("One paragraph\n\nand another\n"))).toBe(0);
    // The paragraph and the blank space after it.
    expect(settledCount(parseBlocks("One paragraph\n\nand another\nline\n"))).toBe(2);
    expect(settledCount(parseBlocks("One\n\ntwo\n\nthree\nx\n\nfour"))).toBe(4);
  });

  test("a paragraph is not settled while the next line may still fold back into it", () => {
    // "#" alone is an empty heading; "#tag" would be the paragraph's next line.
    expect(parseBlocks("Text\n#").map((block) => block.type)).toEqual(["paragraph", "heading"]);
    expect(settledCount(parseBlocks("Text\n#"))).toBe(0);
    // "a | b" over "|---|-" is a table under the paragraph, until the delimiter grows.
    const table = parseBlocks("Text\na | b\n|---|-");
    expect(table.map((block) => block.type)).toEqual(["paragraph", "table"]);
    expect(settledCount(table)).toBe(0);
    expect(parseBlocks("Text\na | b\n|---|---|---|").map((block) => block.type)).toEqual([
      "paragraph",
    ]);
  });

  test("blank space at the end does not settle the block before it", () => {
    const blocks = parseBlocks("- a\n\n  ");
    expect(blocks.map((block) => block.type)).toEqual(["list", "space"]);
    expect(settledCount(blocks)).toBe(0);
  });

  test("a last line that is only a marker is held back; anything more is shown", () => {
    for (const held of ["`", "``", "```", "~~", "-", "#", "##", "|", "1.", "* ", ">"]) {
      expect(shownLength(`Text\n${held}`)).toBe(5);
    }
    for (const shown of ["```js", "- item", "#tag", "| a", "1. one", "Text", "42 apples"]) {
      expect(shownLength(`Text\n${shown}`)).toBe(`Text\n${shown}`.length);
    }
    expect(shownLength("Text\n-\n")).toBe("Text\n-\n".length);
  });
});
