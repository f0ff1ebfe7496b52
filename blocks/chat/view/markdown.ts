import { Marked, type Token, type Tokens } from "marked";
import { highlightCode, knownLanguage } from "./markdown-highlight";
import { isSafeHref } from "./markdown-sanitize";

/**
 * Markdown as models write it (GitHub's flavour: tables, fenced code, autolinks,
 * strikethrough), read by marked and written as HTML that markdown-sanitize.ts then
 * cleans. What marked would pass through is made inert here first:
 *
 * - raw HTML in the answer (a `<script>`, an `<img onerror>`, any tag) is written as
 *   escaped text, so it reads as the model wrote it and never becomes markup;
 * - an image is written as its alt text: nothing is fetched, so no beacon;
 * - a link keeps its `href` only for http, https and mailto; any other (javascript:,
 *   data:, vbscript:, relative) leaves only the link's text;
 * - headings are styled paragraphs, not h1–h6: an answer sits in the block's log, and its
 *   own headings would break the page's outline (heading levels that skip);
 * - task-list boxes are characters, not unlabelled form fields.
 *
 * Reference-style link definitions (`[id]: url`) are not read: a definition can come
 * after the paragraph that uses it, which would make a streamed paragraph change once
 * written. They stay text.
 */
const markdown = new Marked({
  gfm: true,
  breaks: true,
  tokenizer: {
    // undefined (not false, which means "use the default") skips the rule.
    def: () => undefined,
  },
  renderer: {
    heading({ tokens, depth }) {
      const inline = this.parser.parseInline(tokens);
      return `<p class="sluice-chat__heading sluice-chat__heading--${depth}">${inline}</p>\n`;
    },
    html(token) {
      const text = escapeHtml(token.text.replace(/\n+$/, ""));
      return "block" in token && token.block ? `<p class="sluice-chat__raw">${text}</p>\n` : text;
    },
    image({ text }) {
      return escapeHtml(text);
    },
    link({ href, tokens }) {
      const inline = this.parser.parseInline(tokens);
      return isSafeHref(href) ? `<a href="${escapeHtml(href)}">${inline}</a>` : inline;
    },
    checkbox({ checked }) {
      return checked ? "☑ " : "☐ ";
    },
    code({ text, lang }) {
      return `${codeBlockHtml(text, lang ?? "")}\n`;
    },
  },
});

/** A fenced or indented code block: highlighted when its fence names a known language. */
function codeBlockHtml(text: string, info: string): string {
  const language = knownLanguage(info);
  if (language) {
    return `<pre><code class="hljs language-${language}">${highlightCode(text, language)}</code></pre>`;
  }
  const named = info.trim().split(/\s/, 1)[0] ?? "";
  const languageClass = /^[\w+#.-]{1,32}$/.test(named) ? ` class="language-${named}"` : "";
  return `<pre><code${languageClass}>${escapeHtml(text)}</code></pre>`;
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** The top-level blocks of a Markdown text, each with its source (`raw`). */
export function lexMarkdown(text: string): Token[] {
  return markdown.lexer(text);
}

/** One top-level block as HTML (not yet sanitized). */
export function blockHtml(block: Token): string {
  return markdown.parser([block]);
}

export type { Token, Tokens };
