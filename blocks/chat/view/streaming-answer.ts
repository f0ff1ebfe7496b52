import { type Block, normalizeNewlines, parseBlocks, settledCount, shownLength } from "./format";
import { morphNode } from "./markdown-morph";
import { renderBlock } from "./render-format";

/** Runs a callback before the next paint (requestAnimationFrame in the browser). */
export type FrameScheduler = (callback: () => void) => void;

export const nextAnimationFrame: FrameScheduler = (callback) => {
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(() => callback());
  else setTimeout(callback, 16);
};

/**
 * The answer being written into one bubble, as Markdown. Deltas are collected and
 * written at most once per frame, and only this bubble changes.
 *
 * Each frame reads only the text after the settled blocks (see settledCount): blocks
 * that later text cannot change are written once and never touched again; the open
 * block at the end (a paragraph, a code fence still open, a table still growing) is
 * rendered again and merged into its live nodes (markdown-morph.ts), so its elements
 * stay and only the new text is written. A half-written marker line is held back
 * (shownLength), so a fence or a list does not flash as something else first. The DOM
 * after each frame is what rendering the text shown so far at once gives.
 */
export class StreamingAnswer {
  readonly #doc: Document;
  readonly #container: HTMLElement;
  readonly #schedule: FrameScheduler;
  readonly #afterWrite: () => void;
  #received = "";
  #pending = "";
  /** Where the open part of the (normalized) text starts: the settled blocks' sources end there. */
  #settledEnd = 0;
  /** The last node of the settled blocks: the open nodes follow it. */
  #lastSettled: Node | undefined;
  /** The open blocks' live nodes, in order, at the end of what was written. */
  #open: Node[] = [];
  #scheduled = false;
  #finished = false;

  constructor(
    container: HTMLElement,
    options: { schedule?: FrameScheduler; afterWrite?: () => void } = {},
  ) {
    this.#doc = container.ownerDocument;
    this.#container = container;
    this.#schedule = options.schedule ?? nextAnimationFrame;
    this.#afterWrite = options.afterWrite ?? (() => {});
  }

  /** All text received so far, written or not. */
  get text(): string {
    return this.#received + this.#pending;
  }

  append(delta: string): void {
    if (this.#finished || delta === "") return;
    this.#pending += delta;
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      this.flush();
    });
  }

  /** Writes what has been received; called once per frame, or at once before the end. */
  flush(): void {
    if (this.#finished || this.#pending === "") return;
    this.#received += this.#pending;
    this.#pending = "";
    const text = normalizeNewlines(this.#received);
    this.#write(text.slice(0, shownLength(text)), false);
    this.#afterWrite();
  }

  /** Writes the rest, all of it, and stops accepting deltas. */
  finish(): void {
    if (this.#finished) return;
    this.#received += this.#pending;
    this.#pending = "";
    this.#finished = true;
    this.#write(normalizeNewlines(this.#received), true);
    this.#afterWrite();
  }

  /** Renders the open part of `shown` into the open nodes; settles what can no longer change. */
  #write(shown: string, final: boolean): void {
    const blocks = parseBlocks(shown.slice(this.#settledEnd));
    const settled = final ? blocks.length : settledCount(blocks);
    const rendered = blocks.map((block) => renderBlock(this.#doc, block));
    const live = this.#merge(rendered.flat());
    const settledNodes = countNodes(rendered.slice(0, settled));
    this.#lastSettled = live[settledNodes - 1] ?? this.#lastSettled;
    this.#open = live.slice(settledNodes);
    this.#settledEnd += sourceLength(blocks.slice(0, settled));
  }

  /** Merges freshly rendered nodes into the open ones; returns the live nodes, in order. */
  #merge(fresh: readonly Node[]): Node[] {
    const live: Node[] = [];
    fresh.forEach((node, index) => {
      const current = this.#open[index];
      if (current) {
        live.push(morphNode(current, node));
        return;
      }
      const previous = live[live.length - 1] ?? this.#lastSettled;
      if (previous) (previous as ChildNode).after(node);
      else this.#container.append(node);
      live.push(node);
    });
    for (const extra of this.#open.slice(fresh.length)) (extra as ChildNode).remove();
    return live;
  }
}

function countNodes(groups: readonly (readonly Node[])[]): number {
  return groups.reduce((total, nodes) => total + nodes.length, 0);
}

function sourceLength(blocks: readonly Block[]): number {
  return blocks.reduce((total, block) => total + block.raw.length, 0);
}
