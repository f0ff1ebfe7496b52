import { __ } from "@wordpress/i18n";

/**
 * The controls around the conversation that are not messages: the screen-reader
 * announcer, the quiet note that older messages were left out, the suggested first
 * questions and New chat. Every text goes in as text, never as HTML.
 */

/** A polite status region, read by screen readers and invisible on screen. */
export class Announcer {
  readonly element: HTMLElement;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(doc: Document) {
    this.element = doc.createElement("div");
    this.element.className = "sluice-chat__sr-only sluice-chat__announcer";
    this.element.setAttribute("role", "status");
  }

  /** Says `text` (again, even when it is the same text as last time). */
  say(text: string): void {
    this.element.textContent = "";
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.element.textContent = text;
    }, 60);
  }
}

/** "Older messages are not sent": shown while it is true, announced once per conversation. */
export class TrimNote {
  readonly element: HTMLElement;
  readonly #announcer: Announcer;
  #announced = false;

  constructor(doc: Document, announcer: Announcer) {
    this.#announcer = announcer;
    this.element = doc.createElement("p");
    this.element.className = "sluice-chat__trim-note";
    this.element.textContent = __(
      "Older messages are no longer sent with your questions, to stay within this chat's limits.",
      "sluice",
    );
    this.element.hidden = true;
  }

  show(): void {
    this.element.hidden = false;
    if (this.#announced) return;
    this.#announced = true;
    this.#announcer.say(this.element.textContent ?? "");
  }

  /** A new conversation: hidden, and announced again the next time. */
  reset(): void {
    this.element.hidden = true;
    this.#announced = false;
  }
}

/** Buttons with the block's suggested first questions; none when there are none. */
export function suggestionButtons(
  doc: Document,
  questions: readonly string[],
  onPick: (question: string) => void,
): HTMLElement | undefined {
  if (questions.length === 0) return undefined;
  const group = doc.createElement("div");
  group.className = "sluice-chat__suggestions";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", __("Suggested questions", "sluice"));
  for (const question of questions) {
    const chip = doc.createElement("button");
    chip.type = "button";
    chip.className = "sluice-chat__suggestion";
    chip.textContent = question;
    chip.addEventListener("click", () => onPick(question));
    group.append(chip);
  }
  return group;
}

export function newChatButton(doc: Document, onClick: () => void): HTMLButtonElement {
  const button = doc.createElement("button");
  button.type = "button";
  button.className = "sluice-chat__new-chat";
  button.textContent = __("New chat", "sluice");
  button.addEventListener("click", onClick);
  return button;
}
