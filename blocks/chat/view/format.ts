/**
 * A small, safe reading of model output: paragraphs, lists, headings, quotes, fenced and
 * inline code, bold and italic. The result is a plain tree of strings; render-format.ts
 * turns it into DOM nodes with textContent, so markup in an answer stays text.
 *
 * Text is cut into chunks at blank lines outside code fences, and each chunk is read on
 * its own. A streamed answer can therefore be formatted chunk by chunk as chunks complete
 * (findStableEnd) and the result is the same as formatting the whole answer at once.
 */

export type Inline =
  | { type: "text"; text: string }
  | { type: "code"; text: string }
  | { type: "strong"; children: Inline[] }
  | { type: "em"; children: Inline[] }
  | { type: "break" };

export interface ListItem {
  content: Inline[];
  children: ListBlock[];
}

export interface ListBlock {
  type: "list";
  ordered: boolean;
  start: number;
  items: ListItem[];
}

export type Block =
  | { type: "paragraph"; content: Inline[] }
  | { type: "heading"; content: Inline[] }
  | { type: "quote"; content: Inline[] }
  | { type: "code"; language: string; text: string }
  | ListBlock;

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const BULLET = /^(\s*)([-*+])\s+(.*)$/;
const NUMBERED = /^(\s*)(\d{1,9})[.)]\s+(.*)$/;
const HEADING = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
const QUOTE = /^ {0,3}>\s?(.*)$/;

function isBlank(line: string): boolean {
  return line.trim() === "";
}

/**
 * The end of the part of `text` that is made of complete chunks: the index just after
 * the last blank line (or closing fence line) outside a code fence, at or after `from`.
 * `from` must itself be such an end (or 0). Returns `from` when no chunk completed.
 */
export function findStableEnd(text: string, from = 0): number {
  let stable = from;
  let fence: string | undefined;
  let lineStart = from;
  while (lineStart < text.length) {
    const newline = text.indexOf("\n", lineStart);
    if (newline === -1) break; // the last line is not finished yet
    const line = text.slice(lineStart, newline);
    const next = newline + 1;
    const marker = FENCE.exec(line);
    if (fence) {
      if (closesFence(marker, fence)) {
        fence = undefined;
        stable = next;
      }
    } else if (marker?.[1]) {
      fence = marker[1];
    } else if (isBlank(line)) {
      stable = next;
    }
    lineStart = next;
  }
  return stable;
}

/** Whether a fence line closes the fence opened with `opening` (same character, at least as long, no info). */
function closesFence(marker: RegExpExecArray | null, opening: string): boolean {
  const run = marker?.[1];
  return Boolean(run && run[0] === opening[0] && run.length >= opening.length && !marker?.[2]);
}

/** Reads text into blocks. */
export function parseBlocks(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] ?? "";
    if (isBlank(line)) {
      index++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence?.[1]) {
      const marker = fence[1];
      const body: string[] = [];
      index++;
      while (index < lines.length) {
        const inner = lines[index] ?? "";
        if (closesFence(FENCE.exec(inner), marker)) {
          index++;
          break;
        }
        body.push(inner);
        index++;
      }
      blocks.push({ type: "code", language: fence[2] ?? "", text: body.join("\n") });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ type: "heading", content: parseInline(heading[1] ?? "") });
      index++;
      continue;
    }
    if (BULLET.test(line) || NUMBERED.test(line)) {
      const start = index;
      while (
        index < lines.length &&
        !isBlank(lines[index] ?? "") &&
        !FENCE.test(lines[index] ?? "")
      ) {
        index++;
      }
      blocks.push(...parseLists(lines.slice(start, index)));
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted: string[] = [];
      while (index < lines.length) {
        const match = QUOTE.exec(lines[index] ?? "");
        if (!match) break;
        quoted.push(match[1] ?? "");
        index++;
      }
      blocks.push({ type: "quote", content: parseInlineLines(quoted) });
      continue;
    }
    const paragraph: string[] = [];
    while (index < lines.length) {
      const current = lines[index] ?? "";
      if (isBlank(current) || FENCE.test(current) || HEADING.test(current)) break;
      if (paragraph.length > 0 && (BULLET.test(current) || NUMBERED.test(current))) break;
      paragraph.push(current);
      index++;
    }
    blocks.push({ type: "paragraph", content: parseInlineLines(paragraph) });
  }
  return blocks;
}

interface ListLine {
  indent: number;
  ordered: boolean;
  number: number;
  text: string;
}

/** Reads consecutive list lines (with continuation lines) into nested lists by indent. */
function parseLists(lines: readonly string[]): ListBlock[] {
  const entries: { line: ListLine; continuation: string[] }[] = [];
  for (const raw of lines) {
    const bullet = BULLET.exec(raw);
    const numbered = bullet ? null : NUMBERED.exec(raw);
    const match = bullet ?? numbered;
    if (match) {
      entries.push({
        line: {
          indent: (match[1] ?? "").replace(/\t/g, "    ").length,
          ordered: Boolean(numbered),
          number: numbered ? Number(numbered[2]) : 1,
          text: match[3] ?? "",
        },
        continuation: [],
      });
    } else if (entries.length > 0) {
      entries[entries.length - 1]?.continuation.push(raw.trim());
    }
  }
  const roots: ListBlock[] = [];
  // Open lists from the outermost in, each with the indent of its items.
  const open: { indent: number; list: ListBlock }[] = [];
  for (const { line, continuation } of entries) {
    const item: ListItem = {
      content: parseInlineLines([line.text, ...continuation]),
      children: [],
    };
    while (open.length > 0 && (open[open.length - 1]?.indent ?? 0) > line.indent) open.pop();
    const current = open[open.length - 1];
    if (current && current.indent === line.indent && current.list.ordered === line.ordered) {
      current.list.items.push(item);
      continue;
    }
    if (current && current.indent === line.indent) open.pop();
    const list: ListBlock = {
      type: "list",
      ordered: line.ordered,
      start: line.number,
      items: [item],
    };
    const parent = open[open.length - 1];
    const parentItem = parent?.list.items[parent.list.items.length - 1];
    if (parentItem && (parent?.indent ?? 0) < line.indent) parentItem.children.push(list);
    else roots.push(list);
    open.push({ indent: line.indent, list });
  }
  return roots;
}

/** Lines of one paragraph: their inline content, joined by line breaks. */
function parseInlineLines(lines: readonly string[]): Inline[] {
  const content: Inline[] = [];
  lines.forEach((line, position) => {
    if (position > 0) content.push({ type: "break" });
    content.push(...parseInline(line.trim()));
  });
  return content;
}

/** Reads code spans, **bold** / __bold__ and *italic* / _italic_ in one line. */
export function parseInline(text: string): Inline[] {
  const result: Inline[] = [];
  let plain = "";
  const flush = () => {
    if (plain) result.push({ type: "text", text: plain });
    plain = "";
  };
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char === "`") {
      const run = /^`+/.exec(text.slice(index))?.[0] ?? "`";
      const close = text.indexOf(run, index + run.length);
      if (close > index) {
        flush();
        const code = text.slice(index + run.length, close);
        result.push({
          type: "code",
          text:
            code.length > 2 && code.startsWith(" ") && code.endsWith(" ")
              ? code.slice(1, -1)
              : code,
        });
        index = close + run.length;
        continue;
      }
      plain += run;
      index += run.length;
      continue;
    }
    if (char === "*" || char === "_") {
      const double = text.startsWith(char + char, index);
      const marker = double ? char + char : char;
      const close = findClosing(text, marker, index + marker.length);
      const opensWord = /\S/.test(text[index + marker.length] ?? "");
      const intraword = char === "_" && /\w/.test(text[index - 1] ?? "");
      if (close > index + marker.length && opensWord && !intraword) {
        flush();
        const children = parseInline(text.slice(index + marker.length, close));
        result.push(double ? { type: "strong", children } : { type: "em", children });
        index = close + marker.length;
        continue;
      }
      plain += marker;
      index += marker.length;
      continue;
    }
    plain += char;
    index++;
  }
  flush();
  return result;
}

/** The index of a closing emphasis marker: not after a space, not inside a code span. */
function findClosing(text: string, marker: string, from: number): number {
  let index = from;
  while (index < text.length) {
    if (text[index] === "`") {
      const run = /^`+/.exec(text.slice(index))?.[0] ?? "`";
      const close = text.indexOf(run, index + run.length);
      index = close === -1 ? index + run.length : close + run.length;
      continue;
    }
    if (text.startsWith(marker, index) && /\S/.test(text[index - 1] ?? "")) {
      const after = text[index + marker.length];
      const single = marker.length === 1;
      // A single marker must not be the start of a double one.
      if (!(single && after === marker)) {
        if (marker[0] === "_" && /\w/.test(after ?? "")) {
          index++;
          continue;
        }
        return index;
      }
      index += 2;
      continue;
    }
    index++;
  }
  return -1;
}
