import { type Block, parseBlocks } from "./format";
import { blockHtml } from "./markdown";
import { sanitizeToFragment } from "./markdown-sanitize";

/**
 * Builds DOM nodes for formatted text. Each block is written as HTML by markdown.ts
 * (which escapes raw HTML, drops images and unsafe links) and goes through DOMPurify's
 * allowlist (markdown-sanitize.ts) before it becomes nodes: model output cannot add
 * markup, attributes, scripts or anything that loads.
 */
export function renderBlocks(doc: Document, blocks: readonly Block[]): DocumentFragment {
  const fragment = doc.createDocumentFragment();
  for (const block of blocks) fragment.append(...renderBlock(doc, block));
  return fragment;
}

/** One block's top-level nodes (none for blank space). */
export function renderBlock(doc: Document, block: Block): Node[] {
  if (block.type === "space") return [];
  return [...sanitizeToFragment(doc, blockHtml(block).trim()).childNodes];
}

/** A whole Markdown text, at once (a welcome message, a finished answer). */
export function renderMarkdown(doc: Document, text: string): DocumentFragment {
  return renderBlocks(doc, parseBlocks(text));
}
