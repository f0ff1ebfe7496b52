// @vitest-environment jsdom
import { describe, expect, test } from "vitest";
import { shownLength } from "../view/format";
import { renderMarkdown } from "../view/render-format";
import { StreamingAnswer } from "../view/streaming-answer";

/** A frame scheduler the test runs by hand. */
function manualFrames() {
  let queued: (() => void)[] = [];
  return {
    schedule: (callback: () => void) => {
      queued.push(callback);
    },
    get pending() {
      return queued.length;
    },
    run() {
      const callbacks = queued;
      queued = [];
      for (const callback of callbacks) callback();
    },
  };
}

/** The HTML of `text` rendered at once. */
function renderedAtOnce(text: string): string {
  const container = document.createElement("div");
  container.append(renderMarkdown(document, text));
  return container.innerHTML;
}

const LONG_ANSWER = [
  "# Moving a WordPress site",
  "",
  "Here is **how** to move it, with `wp-cli` and a [guide](https://developer.wordpress.org/cli/).",
  "",
  "## Steps",
  "",
  "1. Export the database",
  "2. Copy the files",
  "   - `wp-content/uploads`",
  "   - the theme",
  "3. Search and replace the URL",
  "",
  "Foo",
  "#tag is not a heading",
  "",
  "| Step | Command | Time |",
  "|:-----|:--------|-----:|",
  "| export | `wp db export` | 1 min |",
  "| copy | `rsync -a` | 5 min |",
  "",
  "```bash",
  "wp db export backup.sql",
  "",
  'wp search-replace "https://old.example" "https://new.example"',
  "```",
  "Then check the site:",
  "",
  "```php",
  "<?php",
  "echo home_url();",
  "```",
  "",
  "> Keep a backup.",
  "> Always.",
  "",
  "- a",
  "",
  "  still item a",
  "- b",
  "",
  "Text",
  "---",
  "",
  "Done <b>now</b>, see ![diagram](http://tracker.example/x.png).",
].join("\n");

describe("StreamingAnswer", () => {
  test("batches thousands of deltas into one DOM write per frame", () => {
    const bubble = document.createElement("div");
    const frames = manualFrames();
    let writes = 0;
    const answer = new StreamingAnswer(bubble, {
      schedule: frames.schedule,
      afterWrite: () => writes++,
    });
    for (let index = 0; index < 5000; index++) answer.append("word ");
    expect(frames.pending).toBe(1);
    expect(bubble.textContent).toBe("");
    frames.run();
    expect(writes).toBe(1);
    expect(bubble.textContent?.trim()).toBe("word ".repeat(5000).trim());
    expect(answer.text).toBe("word ".repeat(5000));
  });

  test("streaming delta by delta gives, at every frame, the DOM of rendering what is shown at once", () => {
    for (const step of [1, 4, 13]) {
      const bubble = document.createElement("div");
      const answer = new StreamingAnswer(bubble, { schedule: () => {} });
      for (let index = 0; index < LONG_ANSWER.length; index += step) {
        answer.append(LONG_ANSWER.slice(index, index + step));
        answer.flush();
        const received = LONG_ANSWER.slice(0, index + step);
        expect(bubble.innerHTML).toBe(renderedAtOnce(received.slice(0, shownLength(received))));
      }
      answer.finish();
      expect(bubble.innerHTML).toBe(renderedAtOnce(LONG_ANSWER));
      expect(answer.text).toBe(LONG_ANSWER);
    }
  });

  test("random mixes of Markdown lines stream to the same DOM as rendering them at once", () => {
    const lines = [
      "Foo",
      "bar *em*",
      "",
      "# H",
      "#",
      "#tag",
      "- a",
      "* b",
      "1. x",
      "  - n",
      "    code",
      "```",
      "```js",
      "~~~",
      "| a | b |",
      "|---|---|",
      "| 1 | 2 |",
      "> q",
      "---",
      "===",
      "<div>",
      "<!--",
      "[x]: http://a.example",
      "- [ ] t",
      "10. ten",
      "--",
    ];
    let seed = 2026;
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % below;
    };
    for (let round = 0; round < 150; round++) {
      const text = Array.from({ length: 3 + random(10) }, () => lines[random(lines.length)]).join(
        "\n",
      );
      const step = 1 + random(4);
      const bubble = document.createElement("div");
      const answer = new StreamingAnswer(bubble, { schedule: () => {} });
      for (let index = 0; index < text.length; index += step) {
        answer.append(text.slice(index, index + step));
        answer.flush();
      }
      answer.finish();
      expect(bubble.innerHTML, JSON.stringify(text)).toBe(renderedAtOnce(text));
    }
  });

  test("finished blocks are written once: their nodes stay the same objects as later deltas arrive", () => {
    const bubble = document.createElement("div");
    const frames = manualFrames();
    const answer = new StreamingAnswer(bubble, { schedule: frames.schedule });
    answer.append("First paragraph.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nThen ");
    frames.run();
    const paragraph = bubble.querySelector("p") as HTMLElement;
    const paragraphText = paragraph.firstChild;
    const table = bubble.querySelector("table") as HTMLTableElement;
    const cell = table.querySelector("td");
    answer.append("a fence:\n\n```js\nconst a = 1;\n```\n\nAnd the end");
    frames.run();
    for (let index = 0; index < 50; index++) {
      answer.append(` word${index}`);
      frames.run();
    }
    answer.finish();
    expect(bubble.querySelector("p")).toBe(paragraph);
    expect(paragraph.firstChild).toBe(paragraphText);
    expect(bubble.querySelector("table")).toBe(table);
    expect(table.querySelector("td")).toBe(cell);
    expect(bubble.contains(paragraph)).toBe(true);
  });

  test("the open paragraph keeps its element and grows its text node", () => {
    const bubble = document.createElement("div");
    const frames = manualFrames();
    const answer = new StreamingAnswer(bubble, { schedule: frames.schedule });
    answer.append("First paragraph.\n\nSecond");
    frames.run();
    const second = bubble.querySelectorAll("p")[1] as HTMLElement;
    const text = second.firstChild as Text;
    expect(text.data).toBe("Second");
    answer.append(" paragraph");
    frames.run();
    expect(bubble.querySelectorAll("p")[1]).toBe(second);
    expect(second.firstChild).toBe(text);
    expect(text.data).toBe("Second paragraph");
  });

  test("an unclosed fence is a code block that grows; its closing fence never shows as code", () => {
    const bubble = document.createElement("div");
    const frames = manualFrames();
    const answer = new StreamingAnswer(bubble, { schedule: frames.schedule });
    answer.append("Run:\n\n```py");
    frames.run();
    const pre = bubble.querySelector("pre") as HTMLElement;
    expect(pre).not.toBeNull();
    for (const delta of ["thon\n", "import os\n", "print(os.name)\n", "`", "`", "`"]) {
      answer.append(delta);
      frames.run();
      expect(bubble.querySelector("pre")).toBe(pre);
      expect(pre.textContent).not.toContain("`");
    }
    expect(pre.querySelector("code")?.className).toBe("hljs language-python");
    expect(pre.textContent).toBe("import os\nprint(os.name)");
    answer.append("\nAfter.");
    answer.finish();
    expect(bubble.querySelector("pre")).toBe(pre);
    expect(bubble.querySelector("pre + p")?.textContent).toBe("After.");
  });

  test("a table row shows as a paragraph until its delimiter row arrives, then the table grows row by row", () => {
    const bubble = document.createElement("div");
    const frames = manualFrames();
    const answer = new StreamingAnswer(bubble, { schedule: frames.schedule });
    answer.append("| Plan | Price |\n");
    frames.run();
    expect(bubble.querySelector("table")).toBeNull();
    expect(bubble.textContent).toBe("| Plan | Price |");
    answer.append("|---");
    frames.run();
    expect(bubble.querySelector("table")).toBeNull();
    answer.append("|---|\n");
    frames.run();
    const table = bubble.querySelector("table") as HTMLTableElement;
    expect(table.querySelectorAll("th")).toHaveLength(2);
    const kinds: string[] = [];
    for (const delta of ["|", " Free", " | $0 |\n", "| Pro | $9", " |\n"]) {
      answer.append(delta);
      frames.run();
      expect(bubble.querySelector("table")).toBe(table);
      kinds.push(`${table.querySelectorAll("tbody tr").length}`);
    }
    expect(kinds).toEqual(["0", "1", "1", "2", "2"]);
    answer.finish();
    expect(bubble.querySelector("table")).toBe(table);
  });

  test("finish shows held-back text and ignores later deltas", () => {
    const bubble = document.createElement("div");
    const frames = manualFrames();
    const answer = new StreamingAnswer(bubble, { schedule: frames.schedule });
    answer.append("Steps:\n\n- one\n- <b>two</b>\n\n---");
    frames.run();
    expect(bubble.querySelector("hr")).toBeNull();
    answer.finish();
    expect([...bubble.querySelectorAll("li")].map((item) => item.textContent)).toEqual([
      "one",
      "<b>two</b>",
    ]);
    expect(bubble.querySelector("b")).toBeNull();
    expect(bubble.querySelector("hr")).not.toBeNull();
    answer.append("ignored after finish");
    frames.run();
    expect(answer.text).toBe("Steps:\n\n- one\n- <b>two</b>\n\n---");
  });

  test("writes after nodes already in the bubble and leaves them alone", () => {
    const bubble = document.createElement("div");
    const before = document.createElement("span");
    bubble.append(before);
    const answer = new StreamingAnswer(bubble, { schedule: () => {} });
    answer.append("One\n\nTwo");
    answer.flush();
    answer.finish();
    expect(bubble.firstChild).toBe(before);
    expect([...bubble.querySelectorAll("p")].map((p) => p.textContent)).toEqual(["One", "Two"]);
  });

  test("an empty answer leaves the bubble empty", () => {
    const bubble = document.createElement("div");
    const answer = new StreamingAnswer(bubble, { schedule: () => {} });
    answer.finish();
    expect(bubble.childNodes).toHaveLength(0);
  });
});
