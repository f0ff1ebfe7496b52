// @vitest-environment jsdom
import { afterEach, describe, expect, test } from "vitest";
import { isSafeHref, sanitizeToFragment } from "../view/markdown-sanitize";
import { renderMarkdown } from "../view/render-format";
import { StreamingAnswer } from "../view/streaming-answer";

const ALLOWED = new Set([
  "p",
  "br",
  "strong",
  "em",
  "del",
  "code",
  "pre",
  "span",
  "a",
  "ul",
  "ol",
  "li",
  "blockquote",
  "hr",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
]);
const ALLOWED_ATTRIBUTES = new Set(["href", "class", "start", "align", "rel", "target"]);

function render(text: string): HTMLElement {
  const container = document.createElement("div");
  document.body.append(container);
  container.append(renderMarkdown(document, text));
  return container;
}

/** Nothing in `container` can run code or fetch anything. */
function expectInert(container: HTMLElement): void {
  for (const element of container.querySelectorAll("*")) {
    expect(ALLOWED).toContain(element.tagName.toLowerCase());
    for (const name of element.getAttributeNames()) {
      expect(ALLOWED_ATTRIBUTES).toContain(name);
      expect(name.startsWith("on")).toBe(false);
    }
  }
  for (const link of container.querySelectorAll("a")) {
    expect(isSafeHref(link.getAttribute("href") ?? "")).toBe(true);
  }
  expect(
    container.querySelector("script, img, iframe, object, embed, svg, style, form"),
  ).toBeNull();
}

const HOSTILE = [
  "[click](javascript:alert(1))",
  "[click](JaVaScRiPt:alert(1))",
  "[click](java\tscript:alert(1))",
  "[click](&#106;avascript:alert(1))",
  "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "[click](vbscript:msgbox(1))",
  "[click](file:///etc/passwd)",
  "[ref]\n\n[ref]: javascript:alert(1)",
  "<javascript:alert(1)>",
  '<a href="javascript:alert(1)">x</a>',
  '<a href="https://example.com" onclick="alert(1)">x</a>',
  '<script>alert("x")</script>',
  "Inline <script>alert(1)</script> script",
  '<img src=x onerror="alert(1)">',
  '- item <img src=x onerror="alert(1)">\n- **<img src=x onerror=alert(1)>**',
  '<iframe src="https://evil.example"></iframe>',
  '<div onmouseover="alert(1)">hover</div>',
  '<svg onload="alert(1)"><circle r="1"/></svg>',
  "<style>body{display:none}</style>",
  '<form action="https://evil.example"><input name=x></form>',
  "![](http://tracker.example/beacon.gif)",
  "![logo](https://tracker.example/pixel.png?visitor=1)",
  '![x](javascript:alert(1) "t")',
  "[![badge](https://tracker.example/b.svg)](https://example.com)",
  "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
  '```html\n<script>alert(1)</script><img src=x onerror="alert(1)">\n```',
  '`<img src=x onerror="alert(1)">`',
];

describe("hostile output stays inert", () => {
  afterEach(() => {
    document.body.replaceChildren();
  });

  test.each(HOSTILE)("%s", (text) => {
    const container = render(text);
    expectInert(container);
  });

  test("raw HTML reads as the model wrote it", () => {
    const payload = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
    expect(render(payload).textContent).toBe(payload);
    expect(render(`Here: <b>bold?</b> &amp; more`).textContent).toBe("Here: <b>bold?</b> & more");
  });

  test("an unsafe link leaves its text, an image its alt text", () => {
    expect(render("[click me](javascript:alert(1))").textContent).toBe("click me");
    const beacon = render("Logo: ![Our logo](http://tracker.example/beacon.gif) end");
    expect(beacon.textContent).toBe("Logo: Our logo end");
    expect(
      render("[![badge](https://t.example/b.svg)](https://example.com)").querySelector("a")
        ?.textContent,
    ).toBe("badge");
  });

  test("a streamed answer is as inert as a whole one, at every step", () => {
    const text = HOSTILE.join("\n\n");
    const bubble = document.createElement("div");
    document.body.append(bubble);
    const answer = new StreamingAnswer(bubble, { schedule: () => {} });
    for (let index = 0; index < text.length; index += 5) {
      answer.append(text.slice(index, index + 5));
      answer.flush();
      expectInert(bubble);
    }
    answer.finish();
    expectInert(bubble);
  });

  test("the sanitizer itself drops what the allowlist does not name, whatever made the HTML", () => {
    const container = document.createElement("div");
    container.append(
      sanitizeToFragment(
        document,
        '<p onclick="x()" style="color:red" id="a" data-x="1" class="evil hljs-keyword">t</p>' +
          '<a href="javascript:alert(1)">j</a><a href="https://example.com" target="_self" rel="opener">w</a>' +
          '<img src="http://t.example/b.gif"><iframe src="https://e.example"></iframe>' +
          '<math><mi xlink:href="javascript:alert(1)">m</mi></math><input type="checkbox">',
      ),
    );
    const paragraph = container.querySelector("p") as HTMLElement;
    expect(paragraph.getAttributeNames()).toEqual(["class"]);
    expect(paragraph.className).toBe("hljs-keyword");
    const [script, web] = [...container.querySelectorAll("a")];
    expect(script?.hasAttribute("href")).toBe(false);
    expect(web?.getAttribute("rel")).toBe("nofollow noopener noreferrer");
    expect(web?.getAttribute("target")).toBe("_blank");
    expect(container.querySelector("img, iframe, math, input")).toBeNull();
  });

  test("isSafeHref: only absolute http, https and mailto", () => {
    for (const href of ["https://a.example/x", "http://a.example", "mailto:a@b.example"]) {
      expect(isSafeHref(href)).toBe(true);
    }
    for (const href of [
      "javascript:alert(1)",
      " javascript:alert(1)",
      "JAVASCRIPT:alert(1)",
      "data:text/html,x",
      "vbscript:x",
      "/relative",
      "#anchor",
      "ftp://a.example",
      "",
    ]) {
      expect(isSafeHref(href)).toBe(false);
    }
  });
});
