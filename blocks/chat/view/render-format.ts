import type { Block, Inline, ListBlock } from "./format";

/**
 * Builds DOM nodes for formatted text. Every piece of text goes in through a text node
 * (createTextNode / textContent), never through HTML parsing, and only a fixed set of
 * elements is created: model output cannot add markup, attributes or scripts.
 */
export function renderBlocks(doc: Document, blocks: readonly Block[]): DocumentFragment {
  const fragment = doc.createDocumentFragment();
  for (const block of blocks) fragment.append(renderBlock(doc, block));
  return fragment;
}

function renderBlock(doc: Document, block: Block): HTMLElement {
  switch (block.type) {
    case "paragraph":
      return withInline(doc, doc.createElement("p"), block.content);
    case "heading": {
      const heading = doc.createElement("p");
      heading.className = "sluice-chat__heading";
      heading.append(withInline(doc, doc.createElement("strong"), block.content));
      return heading;
    }
    case "quote":
      return withInline(doc, doc.createElement("blockquote"), block.content);
    case "code": {
      const pre = doc.createElement("pre");
      const code = doc.createElement("code");
      if (block.language) code.dataset.language = block.language;
      code.textContent = block.text;
      pre.append(code);
      return pre;
    }
    case "list":
      return renderList(doc, block);
  }
}

function renderList(doc: Document, block: ListBlock): HTMLElement {
  const list = doc.createElement(block.ordered ? "ol" : "ul");
  if (block.ordered && block.start !== 1) list.setAttribute("start", String(block.start));
  for (const item of block.items) {
    const element = withInline(doc, doc.createElement("li"), item.content);
    for (const child of item.children) element.append(renderList(doc, child));
    list.append(element);
  }
  return list;
}

function withInline<T extends HTMLElement>(
  doc: Document,
  parent: T,
  content: readonly Inline[],
): T {
  for (const node of content) parent.append(renderInline(doc, node));
  return parent;
}

function renderInline(doc: Document, node: Inline): Node {
  switch (node.type) {
    case "text":
      return doc.createTextNode(node.text);
    case "code": {
      const code = doc.createElement("code");
      code.textContent = node.text;
      return code;
    }
    case "strong":
      return withInline(doc, doc.createElement("strong"), node.children);
    case "em":
      return withInline(doc, doc.createElement("em"), node.children);
    case "break":
      return doc.createElement("br");
  }
}
