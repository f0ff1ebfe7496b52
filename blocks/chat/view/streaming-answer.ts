import { findStableEnd, parseBlocks } from "./format";
import { renderBlocks } from "./render-format";

/** Runs a callback before the next paint (requestAnimationFrame in the browser). */
export type FrameScheduler = (callback: () => void) => void;

export const nextAnimationFrame: FrameScheduler = (callback) => {
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(() => callback());
  else setTimeout(callback, 16);
};

/**
 * The answer being written into one bubble. Deltas are collected and written at most
 * once per frame, and only this bubble changes: finished chunks of text (see
 * findStableEnd) are formatted once and appended as elements; the unfinished rest is one
 * text node that grows with appendData. Thousands of deltas cost a few DOM writes per
 * frame, never a re-render of the conversation.
 */
export class StreamingAnswer {
  readonly #doc: Document;
  readonly #container: HTMLElement;
  readonly #schedule: FrameScheduler;
  readonly #afterWrite: () => void;
  readonly #tailParagraph: HTMLElement;
  readonly #tail: Text;
  #written = "";
  #pending = "";
  #stableEnd = 0;
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
    this.#tailParagraph = this.#doc.createElement("p");
    this.#tailParagraph.className = "sluice-chat__tail";
    this.#tail = this.#doc.createTextNode("");
    this.#tailParagraph.append(this.#tail);
  }

  /** All text received so far, written or not. */
  get text(): string {
    return this.#written + this.#pending;
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
    const added = this.#pending;
    this.#pending = "";
    this.#written += added;
    if (!this.#tailParagraph.isConnected) this.#container.append(this.#tailParagraph);
    const end = findStableEnd(this.#written, this.#stableEnd);
    if (end > this.#stableEnd) {
      const chunk = this.#written.slice(this.#stableEnd, end);
      this.#tailParagraph.before(renderBlocks(this.#doc, parseBlocks(chunk)));
      this.#stableEnd = end;
      this.#tail.data = this.#written.slice(end);
    } else {
      this.#tail.appendData(added);
    }
    this.#afterWrite();
  }

  /** Writes the rest, formatted, and stops accepting deltas. */
  finish(): void {
    if (this.#finished) return;
    this.flush();
    this.#finished = true;
    const rest = this.#written.slice(this.#stableEnd);
    this.#tailParagraph.replaceWith(renderBlocks(this.#doc, parseBlocks(rest)));
    this.#stableEnd = this.#written.length;
    this.#afterWrite();
  }
}
