import { __, sprintf } from "@wordpress/i18n";
import { adminLocale, formatUsd } from "../../admin/lib/format";

/** How long Copy reads "Copied" after a copy. */
export const COPIED_MS = 2000;

export interface TextClipboard {
  writeText(text: string): Promise<void>;
}

export interface AnswerActionsOptions {
  /** The answer's Markdown source, as the model wrote it (no Copy when empty). */
  source: string;
  /** Shown as the answer's cost (only passed for a viewer who may manage the site). */
  costUsd?: number;
  /** Present on the newest answer only: asks its question again. */
  onRegenerate?: () => void;
  /** Says something once to screen readers. */
  announce(text: string): void;
  clipboard?: TextClipboard | undefined;
}

export interface AnswerActions {
  element: HTMLElement;
  /** Takes Regenerate away (a newer question was asked). */
  removeRegenerate(): void;
}

function button(doc: Document, className: string, text: string): HTMLButtonElement {
  const node = doc.createElement("button");
  node.type = "button";
  node.className = className;
  node.textContent = text;
  return node;
}

function browserClipboard(): TextClipboard | undefined {
  return typeof navigator === "undefined" ? undefined : navigator.clipboard;
}

/** Puts `text` on the clipboard; false when the browser refused. */
export async function copyText(
  text: string,
  clipboard: TextClipboard | undefined = browserClipboard(),
): Promise<boolean> {
  if (!clipboard) return false;
  try {
    await clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Copy: puts the answer's source on the clipboard and reads "Copied" for a moment. */
function copyButton(doc: Document, options: AnswerActionsOptions): HTMLButtonElement {
  const copy = button(doc, "sluice-chat__copy", __("Copy", "sluice"));
  let reset: ReturnType<typeof setTimeout> | undefined;
  copy.addEventListener("click", async () => {
    const copied = await copyText(options.source, options.clipboard ?? browserClipboard());
    copy.textContent = copied ? __("Copied", "sluice") : __("Copy", "sluice");
    copy.classList.toggle("is-copied", copied);
    options.announce(
      copied ? __("Copied", "sluice") : __("The answer could not be copied.", "sluice"),
    );
    clearTimeout(reset);
    reset = setTimeout(() => {
      copy.textContent = __("Copy", "sluice");
      copy.classList.remove("is-copied");
    }, COPIED_MS);
  });
  return copy;
}

/** The row under an answer: Copy, Regenerate (newest answer only), and the cost for an admin. */
export function answerActions(doc: Document, options: AnswerActionsOptions): AnswerActions {
  const bar = doc.createElement("div");
  bar.className = "sluice-chat__actions";
  if (options.source) bar.append(copyButton(doc, options));

  let regenerate: HTMLButtonElement | undefined;
  if (options.onRegenerate) {
    const onRegenerate = options.onRegenerate;
    regenerate = button(doc, "sluice-chat__regenerate", __("Regenerate", "sluice"));
    regenerate.addEventListener("click", () => onRegenerate());
    bar.append(regenerate);
  }

  if (options.costUsd !== undefined) {
    const cost = doc.createElement("span");
    cost.className = "sluice-chat__cost";
    /* translators: %s: what the answer cost, e.g. "$0.00011" */
    cost.textContent = sprintf(__("Cost: %s", "sluice"), formatUsd(options.costUsd, adminLocale()));
    bar.append(cost);
  }

  return {
    element: bar,
    removeRegenerate() {
      regenerate?.remove();
      regenerate = undefined;
    },
  };
}
