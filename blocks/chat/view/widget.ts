import { __ } from "@wordpress/i18n";
import { BufferedHostMemory, type KeyValueStore } from "./buffering";
import type { ChatConfig } from "./config";
import { requestDirectAnswer } from "./direct";
import { type ChatFailure, describeFailure } from "./errors";
import { parseBlocks } from "./format";
import { buildHistory, DEFAULT_HISTORY_LIMITS, type Turn } from "./history";
import { renderBlocks } from "./render-format";
import { StreamingAnswer } from "./streaming-answer";
import { type ChatOutcome, type ChatResult, canStream, requestAnswer } from "./transport";

let instances = 0;

/** How close to the bottom (px) the log must be for new text to keep it scrolled down. */
const STICKY_SCROLL_PX = 48;

function element<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function localStore(): KeyValueStore | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/**
 * One Chat block on the page: builds its conversation view inside the container that
 * render.php printed, and runs the questions. Only the bubble being answered changes
 * while an answer streams.
 */
export class ChatWidget {
  readonly #config: ChatConfig;
  readonly #root: HTMLElement;
  readonly #doc: Document;
  readonly #memory: BufferedHostMemory;
  readonly #log: HTMLElement;
  readonly #form: HTMLFormElement;
  readonly #input: HTMLTextAreaElement;
  readonly #send: HTMLButtonElement;
  readonly #stop: HTMLButtonElement;
  readonly #turns: Turn[] = [];
  #nonce: string | undefined;
  /** Direct mode's ticket route, until a fallback to the chat route (relay) for this page. */
  #ticketUrl: string | undefined;
  #controller: AbortController | undefined;
  /** Whether the log is scrolled to its end (then new text keeps it there). */
  #pinned = true;

  constructor(root: HTMLElement, config: ChatConfig) {
    this.#config = config;
    this.#root = root;
    this.#doc = root.ownerDocument;
    this.#nonce = config.nonce;
    this.#ticketUrl = config.ticketUrl;
    this.#memory = new BufferedHostMemory(localStore(), config.restUrl);
    const id = `sluice-chat-${++instances}`;

    root.replaceChildren();
    root.classList.add("sluice-chat");
    const title = element(this.#doc, "h2", "sluice-chat__title", config.texts.title);
    title.id = `${id}-title`;

    this.#log = element(this.#doc, "div", "sluice-chat__log");
    this.#log.setAttribute("role", "log");
    this.#log.setAttribute("aria-live", "polite");
    this.#log.setAttribute("aria-busy", "false");
    this.#log.setAttribute("tabindex", "0");
    if (config.texts.title) this.#log.setAttribute("aria-labelledby", title.id);
    else this.#log.setAttribute("aria-label", __("Conversation", "sluice"));

    this.#form = element(this.#doc, "form", "sluice-chat__form");
    const label = element(this.#doc, "label", "sluice-chat__sr-only", __("Your message", "sluice"));
    label.htmlFor = `${id}-input`;
    this.#input = element(this.#doc, "textarea", "sluice-chat__input");
    this.#input.id = `${id}-input`;
    this.#input.rows = 1;
    this.#input.maxLength = DEFAULT_HISTORY_LIMITS.maxMessageChars;
    this.#input.placeholder = config.texts.placeholder;
    const hint = element(
      this.#doc,
      "p",
      "sluice-chat__sr-only",
      __("Press Enter to send, Shift+Enter for a new line, Escape to stop an answer.", "sluice"),
    );
    hint.id = `${id}-hint`;
    this.#input.setAttribute("aria-describedby", hint.id);
    this.#send = element(this.#doc, "button", "sluice-chat__send", __("Send", "sluice"));
    this.#send.type = "submit";
    this.#stop = element(this.#doc, "button", "sluice-chat__stop", __("Stop", "sluice"));
    this.#stop.type = "button";
    this.#stop.hidden = true;
    this.#form.append(label, this.#input, this.#send, this.#stop, hint);

    if (config.texts.title) root.append(title);
    root.append(this.#log, this.#form);
    if (config.texts.welcome) {
      const welcome = this.#addMessage("assistant");
      welcome.append(renderBlocks(this.#doc, parseBlocks(config.texts.welcome)));
    }

    if (config.streamingMode === "off") {
      this.#switchOff();
      return;
    }
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    this.#input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.#submit();
      }
    });
    this.#input.addEventListener("input", () => this.#fitInput());
    this.#log.addEventListener("scroll", () => {
      const log = this.#log;
      this.#pinned = log.scrollHeight - log.scrollTop - log.clientHeight < STICKY_SCROLL_PX;
    });
    this.#stop.addEventListener("click", () => this.stop());
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.#controller) {
        event.preventDefault();
        this.stop();
      }
    });
  }

  /** Stops the answer being written; what arrived stays, marked as stopped. */
  stop(): void {
    this.#controller?.abort();
  }

  #submit(): void {
    if (this.#controller) return;
    const question = this.#input.value.trim();
    if (!question) {
      this.#input.focus();
      return;
    }
    this.#input.value = "";
    this.#fitInput();
    this.#input.focus();
    // The visitor's own words are shown as typed, line breaks kept, without formatting.
    this.#addMessage("user").append(element(this.#doc, "p", "sluice-chat__plain", question));
    void this.#ask(question);
  }

  async #ask(question: string): Promise<void> {
    if (!this.#config.blockId) {
      // Saved without an id (written by hand, never opened in the editor): the route would refuse it.
      this.#showFailure({ kind: "not_set_up" }, question);
      return;
    }
    const buffered =
      this.#config.streamingMode === "buffered" || this.#memory.isBuffered() || !canStream();
    const bubble = this.#addMessage("assistant");
    const message = bubble.parentElement as HTMLElement;
    const thinking = this.#thinkingIndicator();
    bubble.append(thinking);
    this.#keepScrolled(true);
    const answer = new StreamingAnswer(bubble, { afterWrite: () => this.#keepScrolled() });
    const controller = new AbortController();
    this.#setBusy(controller);

    const request = {
      restUrl: this.#config.restUrl,
      postId: this.#config.postId,
      blockId: this.#config.blockId,
      messages: buildHistory(this.#turns, question),
      stream: !buffered,
      ...(this.#nonce ? { nonce: this.#nonce } : {}),
    };
    const handlers = {
      onDelta: (text: string) => {
        thinking.remove();
        answer.append(text);
      },
    };
    let result: ChatResult;
    if (this.#ticketUrl) {
      const direct = await requestDirectAnswer(
        { ...request, ticketUrl: this.#ticketUrl },
        handlers,
        controller.signal,
      );
      // Relay for the rest of this page: direct mode is off, or the gateway is out of reach.
      if (direct.relayFallback) this.#ticketUrl = undefined;
      result = direct;
    } else {
      result = await requestAnswer(request, handlers, controller.signal);
    }
    if (result.nonceRejected) this.#nonce = undefined;
    thinking.remove();
    answer.finish();
    this.#settle(result.outcome, question, answer.text, message);
    this.#setBusy(undefined);
  }

  #settle(outcome: ChatOutcome, question: string, text: string, message: HTMLElement): void {
    switch (outcome.status) {
      case "complete":
        this.#turns.push({ question, answer: text });
        if (outcome.hostBuffers) this.#memory.remember();
        break;
      case "stopped": {
        this.#turns.push({ question, answer: text });
        message.classList.add("is-stopped");
        const note = text
          ? __("Stopped", "sluice")
          : __("Stopped before an answer was written.", "sluice");
        message.append(element(this.#doc, "p", "sluice-chat__note", note));
        break;
      }
      case "failed":
        this.#showFailure(outcome.failure, question, message, text);
        break;
    }
    this.#keepScrolled(true);
  }

  /** Shows why an answer failed; `answerRow` keeps its partial text, or goes when it has none. */
  #showFailure(
    failure: ChatFailure,
    question: string,
    answerRow?: HTMLElement,
    partial = "",
  ): void {
    const { text, retryable } = describeFailure(failure);
    if (partial) answerRow?.classList.add("is-interrupted");
    else answerRow?.remove();
    const notice = this.#addMessage("notice");
    const wrapper = notice.parentElement as HTMLElement;
    notice.append(element(this.#doc, "p", "sluice-chat__error-text", text));
    if (failure.kind === "switched_off") {
      this.#switchOff(false);
      return;
    }
    if (!retryable) return;
    const retry = element(this.#doc, "button", "sluice-chat__retry", __("Retry", "sluice"));
    retry.type = "button";
    retry.addEventListener("click", () => {
      if (this.#controller) return;
      wrapper.remove();
      answerRow?.remove();
      this.#input.focus();
      void this.#ask(question);
    });
    notice.append(retry);
  }

  /** Adds a message row and returns its bubble. */
  #addMessage(role: "user" | "assistant" | "notice"): HTMLElement {
    const row = element(this.#doc, "div", `sluice-chat__message sluice-chat__message--${role}`);
    const speaker =
      role === "user"
        ? __("You:", "sluice")
        : role === "assistant"
          ? __("Assistant:", "sluice")
          : "";
    if (speaker) row.append(element(this.#doc, "span", "sluice-chat__sr-only", speaker));
    const bubble = element(this.#doc, "div", "sluice-chat__bubble");
    row.append(bubble);
    this.#log.append(row);
    this.#keepScrolled(true);
    return bubble;
  }

  #thinkingIndicator(): HTMLElement {
    const thinking = element(this.#doc, "p", "sluice-chat__thinking");
    const dots = element(this.#doc, "span", "sluice-chat__dots");
    dots.setAttribute("aria-hidden", "true");
    for (let index = 0; index < 3; index++) dots.append(element(this.#doc, "span", ""));
    thinking.append(
      dots,
      element(this.#doc, "span", "sluice-chat__sr-only", __("Thinking…", "sluice")),
    );
    return thinking;
  }

  #setBusy(controller: AbortController | undefined): void {
    const stopHadFocus = this.#doc.activeElement === this.#stop;
    this.#controller = controller;
    const busy = controller !== undefined;
    this.#log.setAttribute("aria-busy", String(busy));
    this.#root.classList.toggle("is-busy", busy);
    this.#send.disabled = busy;
    this.#stop.hidden = !busy;
    if (!busy && stopHadFocus) this.#input.focus();
  }

  #switchOff(showNotice = true): void {
    this.#input.disabled = true;
    this.#send.disabled = true;
    this.#stop.hidden = true;
    this.#root.classList.add("is-off");
    if (showNotice) {
      const notice = this.#addMessage("notice");
      notice.append(
        element(
          this.#doc,
          "p",
          "sluice-chat__error-text",
          __("The chat is switched off on this site.", "sluice"),
        ),
      );
    }
  }

  #fitInput(): void {
    this.#input.style.height = "auto";
    this.#input.style.height = `${this.#input.scrollHeight}px`;
  }

  #keepScrolled(force = false): void {
    if (force || this.#pinned) this.#log.scrollTop = this.#log.scrollHeight;
  }
}
