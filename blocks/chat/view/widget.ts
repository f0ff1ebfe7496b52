import { __ } from "@wordpress/i18n";
import type { GatewayErrorCode } from "../../../contract/error-codes";
import { type AnswerActions, answerActions } from "./answer-actions";
import { BufferedHostMemory, type KeyValueStore } from "./buffering";
import type { ChatConfig } from "./config";
import { Conversation } from "./conversation";
import { Announcer, newChatButton, suggestionButtons, TrimNote } from "./conversation-controls";
import { requestDirectAnswer } from "./direct";
import { type ChatFailure, describeFailure, gatewayCode } from "./errors";
import { parseBlocks } from "./format";
import { DEFAULT_HISTORY_LIMITS, type HistoryMessage, narrowedLimits, type Turn } from "./history";
import { ConversationMemory } from "./memory";
import { renderBlocks } from "./render-format";
import { StreamingAnswer } from "./streaming-answer";
import {
  type ChatHandlers,
  type ChatOutcome,
  type ChatResult,
  canStream,
  requestAnswer,
} from "./transport";
import { TurnstileGate } from "./turnstile";

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

/** The gateway's refusal of a conversation too long for the model's window. */
const WINDOW_EXCEEDED: GatewayErrorCode = "context_length_exceeded";

function isWindowRefusal(outcome: ChatOutcome): boolean {
  return (
    outcome.status === "failed" &&
    outcome.failure.kind === "too_long" &&
    gatewayCode(outcome.failure.code ?? "") === WINDOW_EXCEEDED
  );
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
 * while an answer streams. The conversation is remembered in the browser (memory.ts)
 * and shown again on the next page load; New chat forgets it.
 */
export class ChatWidget {
  readonly #config: ChatConfig;
  readonly #root: HTMLElement;
  readonly #doc: Document;
  readonly #hostMemory: BufferedHostMemory;
  readonly #memory: ConversationMemory;
  readonly #conversation: Conversation;
  readonly #announcer: Announcer;
  readonly #trimNote: TrimNote;
  readonly #newChat: HTMLButtonElement;
  readonly #log: HTMLElement;
  readonly #form: HTMLFormElement;
  readonly #input: HTMLTextAreaElement;
  readonly #send: HTMLButtonElement;
  readonly #stop: HTMLButtonElement;
  #welcome: HTMLElement | undefined;
  #suggestions: HTMLElement | undefined;
  /** The newest answer's actions, whose Regenerate goes when another question is asked. */
  #lastActions: AnswerActions | undefined;
  /** Counts New chats: an answer that was still running when one began is dropped. */
  #generation = 0;
  #nonce: string | undefined;
  /** Direct mode's ticket route, until a fallback to the chat route (relay) for this page. */
  #ticketUrl: string | undefined;
  #controller: AbortController | undefined;
  /** While the site has Turnstile on: this block's widget, one token per request. */
  readonly #turnstile: TurnstileGate | undefined;
  /** Whether the log is scrolled to its end (then new text keeps it there). */
  #pinned = true;

  constructor(
    root: HTMLElement,
    config: ChatConfig,
    store: KeyValueStore | undefined = localStore(),
  ) {
    this.#config = config;
    this.#root = root;
    this.#doc = root.ownerDocument;
    this.#nonce = config.nonce;
    this.#ticketUrl = config.ticketUrl;
    this.#hostMemory = new BufferedHostMemory(store, config.restUrl);
    this.#memory = new ConversationMemory(store, config, {
      // A block without its id cannot be told apart from another one: nothing is kept.
      days: config.blockId ? config.memoryDays : 0,
      keepCost: config.canSeeCost,
    });
    this.#conversation = new Conversation();
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

    this.#announcer = new Announcer(this.#doc);
    this.#trimNote = new TrimNote(this.#doc, this.#announcer);
    this.#newChat = newChatButton(this.#doc, () => this.#startNewChat());
    this.#newChat.hidden = true;
    const bar = element(this.#doc, "div", "sluice-chat__bar");
    bar.append(this.#trimNote.element, this.#newChat);

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
    root.append(this.#log, bar);
    if (config.turnstileSiteKey && config.streamingMode !== "off") {
      this.#turnstile = new TurnstileGate(this.#doc, config.turnstileSiteKey, {
        onWait: () =>
          this.#announcer.say(
            __(
              "Complete the security check above the message field to send your question.",
              "sluice",
            ),
          ),
      });
      root.append(this.#turnstile.element);
      this.#turnstile.start();
    }
    root.append(this.#form, this.#announcer.element);
    if (config.texts.welcome) {
      const welcome = this.#addMessage("assistant");
      welcome.append(renderBlocks(this.#doc, parseBlocks(config.texts.welcome)));
      this.#welcome = welcome.parentElement ?? undefined;
    }
    this.#updateNewChat();

    if (config.streamingMode === "off") {
      this.#switchOff();
      return;
    }
    this.#restore();
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

  /** Shows the remembered conversation, or the suggested questions when there is none. */
  #restore(): void {
    const turns = this.#memory.load();
    for (const [index, turn] of turns.entries()) {
      this.#conversation.record(turn);
      this.#addQuestion(turn.question);
      const bubble = this.#addMessage("assistant");
      if (turn.answer) bubble.append(renderBlocks(this.#doc, parseBlocks(turn.answer)));
      this.#showAnswered(bubble.parentElement as HTMLElement, turn, index === turns.length - 1);
    }
    if (turns.length === 0) this.#showSuggestions();
    this.#keepScrolled(true);
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
    this.#start(question);
  }

  /** Shows the visitor's question and asks it. */
  #start(question: string): void {
    this.#addQuestion(question);
    void this.#ask(question);
  }

  #addQuestion(question: string): void {
    // The visitor's own words are shown as typed, line breaks kept, without formatting.
    this.#addMessage("user").append(element(this.#doc, "p", "sluice-chat__plain", question));
  }

  async #ask(question: string): Promise<void> {
    this.#hideSuggestions();
    this.#lastActions?.removeRegenerate();
    this.#lastActions = undefined;
    if (!this.#config.blockId) {
      // Saved without an id (written by hand, never opened in the editor): the route would refuse it.
      this.#showFailure({ kind: "not_set_up" }, question);
      return;
    }
    const generation = this.#generation;
    const stream =
      this.#config.streamingMode !== "buffered" && !this.#hostMemory.isBuffered() && canStream();
    const bubble = this.#addMessage("assistant");
    const message = bubble.parentElement as HTMLElement;
    const thinking = this.#thinkingIndicator();
    bubble.append(thinking);
    this.#keepScrolled(true);
    const answer = new StreamingAnswer(bubble, { afterWrite: () => this.#keepScrolled() });
    const controller = new AbortController();
    this.#setBusy(controller);
    const handlers: ChatHandlers = {
      onDelta: (text: string) => {
        thinking.remove();
        answer.append(text);
      },
    };

    let plan = this.#conversation.plan(question);
    if (plan.trimmed) this.#trimNote.show();
    let result = await this.#request(plan.messages, stream, handlers, controller.signal);
    if (isWindowRefusal(result.outcome) && plan.messages.length > 1) {
      // Too long for the model's window: once more, with about half of the history.
      plan = this.#conversation.plan(
        question,
        narrowedLimits(plan.messages, DEFAULT_HISTORY_LIMITS),
      );
      this.#trimNote.show();
      result = await this.#request(plan.messages, stream, handlers, controller.signal);
    }
    thinking.remove();
    answer.finish();
    if (generation === this.#generation)
      this.#settle(result.outcome, question, answer.text, message);
    this.#setBusy(undefined);
  }

  /** Sends the messages by the page's transport: direct (a ticket, then the gateway) or relay. */
  async #request(
    messages: HistoryMessage[],
    stream: boolean,
    handlers: ChatHandlers,
    signal: AbortSignal,
  ): Promise<ChatResult> {
    const request = {
      restUrl: this.#config.restUrl,
      postId: this.#config.postId,
      blockId: this.#config.blockId,
      messages,
      stream,
      ...(this.#nonce ? { nonce: this.#nonce } : {}),
      ...(this.#turnstile ? { turnstileToken: this.#turnstile.token.bind(this.#turnstile) } : {}),
    };
    let result: ChatResult;
    if (this.#ticketUrl) {
      const direct = await requestDirectAnswer(
        { ...request, ticketUrl: this.#ticketUrl },
        handlers,
        signal,
      );
      // Relay for the rest of this page: direct mode is off, or the gateway is out of reach.
      if (direct.relayFallback) this.#ticketUrl = undefined;
      result = direct;
    } else {
      result = await requestAnswer(request, handlers, signal);
    }
    if (result.nonceRejected) this.#nonce = undefined;
    return result;
  }

  #settle(outcome: ChatOutcome, question: string, text: string, message: HTMLElement): void {
    switch (outcome.status) {
      case "complete": {
        if (outcome.hostBuffers) this.#hostMemory.remember();
        const cost = outcome.usage?.cost_usd;
        const turn: Turn = {
          question,
          answer: text,
          ...(this.#config.canSeeCost && typeof cost === "number" ? { costUsd: cost } : {}),
        };
        this.#record(turn, message);
        break;
      }
      case "stopped":
        this.#record({ question, answer: text, stopped: true }, message);
        break;
      case "failed":
        this.#showFailure(outcome.failure, question, message, text);
        break;
    }
    this.#keepScrolled(true);
  }

  /** An answer (complete, or until Stop) joins the conversation and is remembered. */
  #record(turn: Turn, message: HTMLElement): void {
    this.#conversation.record(turn);
    this.#memory.save(this.#conversation.turns);
    this.#showAnswered(message, turn, true);
  }

  /** What goes under an answer: the Stop note, then Copy, Regenerate (newest) and the cost. */
  #showAnswered(message: HTMLElement, turn: Turn, newest: boolean): void {
    if (turn.stopped) {
      message.classList.add("is-stopped");
      const note = turn.answer
        ? __("Stopped", "sluice")
        : __("Stopped before an answer was written.", "sluice");
      message.append(element(this.#doc, "p", "sluice-chat__note", note));
    }
    const actions = answerActions(this.#doc, {
      source: turn.answer ?? "",
      ...(this.#config.canSeeCost && turn.costUsd !== undefined ? { costUsd: turn.costUsd } : {}),
      ...(newest ? { onRegenerate: () => this.#regenerate(message) } : {}),
      announce: (text) => this.#announcer.say(text),
    });
    message.append(actions.element);
    if (newest) this.#lastActions = actions;
  }

  /**
   * Regenerate: the newest answer goes, and its question is asked again after the turns
   * before it (a new request, billed as one).
   */
  #regenerate(message: HTMLElement): void {
    if (this.#controller) return;
    const turn = this.#conversation.takeLast();
    if (!turn) return;
    this.#lastActions = undefined;
    message.remove();
    this.#input.focus();
    void this.#ask(turn.question);
  }

  /** New chat: the conversation goes from the view and from the browser's memory. */
  #startNewChat(): void {
    this.#generation++;
    this.stop();
    this.#conversation.clear();
    this.#memory.clear();
    this.#lastActions = undefined;
    for (const row of [...this.#log.children]) if (row !== this.#welcome) row.remove();
    this.#trimNote.reset();
    this.#showSuggestions();
    this.#updateNewChat();
    this.#input.focus();
    this.#announcer.say(__("New chat started.", "sluice"));
  }

  #showSuggestions(): void {
    if (this.#suggestions) return;
    this.#suggestions = suggestionButtons(this.#doc, this.#config.texts.suggestions, (question) => {
      if (this.#controller) return;
      this.#input.focus();
      this.#start(question);
    });
    if (this.#suggestions) this.#log.after(this.#suggestions);
  }

  #hideSuggestions(): void {
    this.#suggestions?.remove();
    this.#suggestions = undefined;
  }

  /** New chat is offered once there is something to clear. */
  #updateNewChat(): void {
    const rows = this.#log.children.length - (this.#welcome ? 1 : 0);
    this.#newChat.hidden = rows === 0;
  }

  /** Shows why an answer failed; `answerRow` keeps its partial text, or goes when it has none. */
  #showFailure(
    failure: ChatFailure,
    question: string,
    answerRow?: HTMLElement,
    partial = "",
  ): void {
    const { text, retryable } = describeFailure(failure);
    // A refused token is spent: the widget runs the check again for the retry.
    if (failure.kind === "check_failed") this.#turnstile?.reset();
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
    this.#updateNewChat();
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
