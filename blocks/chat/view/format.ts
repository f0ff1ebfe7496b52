import { lexMarkdown, type Token } from "./markdown";

/**
 * Reading model output as Markdown, in the pieces a stream needs: the answer's top-level
 * blocks (paragraph, list, code, table, …, read by marked: see markdown.ts), which of
 * them later text can no longer change, and how much of a half-written last line to show
 * yet. render-format.ts turns blocks into sanitized DOM nodes.
 */

/** One top-level block of an answer: a marked token, with its source in `raw`. */
export type Block = Token;

/** Reads text into its top-level blocks; their `raw` sources add up to the text. */
export function parseBlocks(text: string): Block[] {
  return lexMarkdown(normalizeNewlines(text));
}

/** Markdown's line ends are "\n"; marked reads "\r\n" and "\r" as "\n" too. */
export function normalizeNewlines(text: string): string {
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}

/** A complete line with something on it, and the complete line after it: "x\ny\n", "x\n\n". */
const TWO_COMPLETE_LINES = /\S[^\n]*\n[^\n]*\n/;

/**
 * How many of the first `blocks` (read from a text that is still growing) are settled:
 * whatever text comes next, reading the whole text again gives these same blocks.
 *
 * The last block that is not blank space is never settled (a paragraph can still turn
 * into a heading or a table, a fence is still open, a list can get more items). A block
 * before it is settled once a complete line with content follows it, and the line after
 * that is complete too. Until then the next block can still fold back into it: "#" alone
 * is an empty heading that ends a paragraph, "#tag" is the paragraph's next line; a line
 * with pipes ends a paragraph as a table's header only if the delimiter row under it has
 * as many cells.
 */
export function settledCount(blocks: readonly Block[]): number {
  let lastContent = -1;
  blocks.forEach((block, index) => {
    if (block.type !== "space") lastContent = index;
  });
  let after = "";
  for (let index = lastContent - 1; index >= 0; index--) {
    after = (blocks[index + 1]?.raw ?? "") + after;
    if (TWO_COMPLETE_LINES.test(after)) return index + 1;
  }
  return 0;
}

/**
 * An unfinished last line made only of a Markdown marker ("`", "``", "-", "#", "|",
 * "1.", …) changes what the lines before it are once the next character arrives: "Text\n-"
 * is a heading until "- item" makes it a paragraph and a list; "``" inside a fence is code
 * until the third backtick closes it. While streaming, such a line is held back.
 */
const MARKER_LINE = /^ {0,3}(?:[`~#*+\-=_|>]{1,3}|\d{1,9}[.)]?) *$/;

/** How much of a text still being written to show now: all of it but a held-back marker line. */
export function shownLength(text: string): number {
  const lineStart = text.lastIndexOf("\n") + 1;
  return MARKER_LINE.test(text.slice(lineStart)) ? lineStart : text.length;
}
