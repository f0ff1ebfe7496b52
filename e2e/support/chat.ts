import { randomBytes } from "node:crypto";
import {
  type Browser,
  type BrowserContext,
  expect,
  type Locator,
  type Page,
  type Response,
} from "@playwright/test";
import { demoAnswer } from "../../server/providers/demo/script.ts";
import { countTextTokens } from "../../server/tokens/count.ts";
import { readState } from "./state.ts";

/**
 * Whether a response is a visitor's chat: POST to the plugin's chat route (relay) or
 * to the gateway's direct route (direct streaming). Whichever the block used, its
 * X-Request-Id names the ledger row.
 */
export function isChatPost(response: Pick<Response, "url" | "request">): boolean {
  const url = response.url();
  return (
    (url.includes("sluice/v1/chat") || url.includes("/v1/direct/chat")) &&
    response.request().method() === "POST"
  );
}

/**
 * Checks that a chat went the way the suite's mode says: to the plugin's chat route
 * (relay), or to the gateway through the direct streaming URL (direct).
 */
export function expectSuiteTransport(response: Pick<Response, "url">): void {
  const { mode, directUrl, wordpress } = readState();
  const expected =
    mode === "relay"
      ? `${wordpress.url}/wp-json/sluice/v1/chat`
      : `${directUrl.startsWith("/") ? `${wordpress.url}${directUrl}` : directUrl}/v1/direct/chat`;
  expect(response.url(), `the chat went the ${mode} way`).toBe(expected);
}

/** One length of the answer being written, as the page saw it. */
export interface LengthSample {
  /** performance.now() in the page. */
  at: number;
  length: number;
}

/**
 * A logged-out visitor: a fresh browser context (no cookies, no localStorage) with a
 * user agent of its own, so that each test is its own visitor for the plugin's
 * per-visitor rate limit (the visitor id hashes IP and user agent).
 */
export async function newVisitor(
  browser: Browser,
  name: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 sluice-e2e/${name}-${randomBytes(4).toString("hex")}`,
    viewport: { width: 1280, height: 1040 },
  });
  return { context, page: await context.newPage() };
}

/** The demo provider's full answer to a first question (no system prompt). */
export function demoAnswerTo(question: string): string {
  return demoAnswer([{ role: "user", content: question }]);
}

/** Output tokens of the demo's full answer, as the gateway counts them. */
export function demoAnswerTokens(question: string): number {
  return countTextTokens(demoAnswerTo(question));
}

/** Text for comparing a rendered answer with the raw one: formatting marks and spacing dropped. */
export function comparable(text: string): string {
  return text.replace(/[`*_]/g, "").replace(/\s+/g, " ").trim();
}

/** A Chat block on a page, driven as a visitor would: type, Send, Stop, Retry. */
export class ChatBlock {
  readonly root: Locator;
  readonly log: Locator;
  readonly input: Locator;
  readonly sendButton: Locator;
  readonly stopButton: Locator;
  readonly assistantMessages: Locator;
  readonly notices: Locator;

  constructor(readonly page: Page) {
    this.root = page.locator("[data-sluice-chat]").first();
    this.log = this.root.locator(".sluice-chat__log");
    this.input = this.root.locator("textarea.sluice-chat__input");
    this.sendButton = this.root.locator("button.sluice-chat__send");
    this.stopButton = this.root.locator("button.sluice-chat__stop");
    this.assistantMessages = this.root.locator(".sluice-chat__message--assistant");
    this.notices = this.root.locator(".sluice-chat__message--notice");
  }

  /** Opens the page and waits until the view script has built the conversation. */
  async open(url: string): Promise<Response> {
    const response = await this.page.goto(url);
    if (!response?.ok()) throw new Error(`${url} answered HTTP ${response?.status()}`);
    await expect(this.input).toBeEditable();
    await expect(this.assistantMessages).toHaveCount(1); // the welcome
    return response;
  }

  /** The assistant message that the next question will add. */
  async nextAnswer(): Promise<Locator> {
    return this.assistantMessages.nth(await this.assistantMessages.count());
  }

  /**
   * Starts recording, in the page, every length that the next answer's text takes
   * (a MutationObserver on the conversation: each write of the answer is one sample).
   */
  async recordNextAnswer(): Promise<void> {
    await this.root.evaluate((root) => {
      const log = root.querySelector(".sluice-chat__log");
      if (!log) throw new Error("no conversation log");
      const before = log.querySelectorAll(".sluice-chat__message--assistant").length;
      const samples: { at: number; length: number }[] = [];
      const measure = () => {
        const rows = log.querySelectorAll(".sluice-chat__message--assistant");
        if (rows.length <= before) return;
        const bubble = rows[rows.length - 1]?.querySelector(".sluice-chat__bubble");
        if (!bubble) return;
        let length = 0;
        for (const node of bubble.childNodes) {
          if (node instanceof Element && node.classList.contains("sluice-chat__thinking")) continue;
          length += node.textContent?.length ?? 0;
        }
        if (samples.at(-1)?.length !== length) samples.push({ at: performance.now(), length });
      };
      const observer = new MutationObserver(measure);
      observer.observe(log, { subtree: true, childList: true, characterData: true });
      Object.assign(window, { __sluiceSamples: samples, __sluiceObserver: observer });
    });
  }

  /** The samples recorded since recordNextAnswer(). */
  samples(): Promise<LengthSample[]> {
    return this.page.evaluate(
      () => (window as unknown as { __sluiceSamples: LengthSample[] }).__sluiceSamples,
    );
  }

  /** Types a question and sends it with the Send button. */
  async ask(question: string): Promise<void> {
    await this.input.fill(question);
    await this.sendButton.click();
  }

  /** Waits until no answer is being written (the Stop button is gone again). */
  async waitUntilIdle(timeout = 20_000): Promise<void> {
    await expect(this.log).toHaveAttribute("aria-busy", "false", { timeout });
    await expect(this.stopButton).toBeHidden();
  }

  /** The rendered text of an answer (paragraphs separated by line breaks). */
  async textOf(answer: Locator): Promise<string> {
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText, for the rendered paragraph breaks.
    return (await answer.locator(".sluice-chat__bubble").innerText()).trim();
  }

  /** Length of an answer's text right now, as recordNextAnswer() measures it. */
  async lengthOf(answer: Locator): Promise<number> {
    return answer.locator(".sluice-chat__bubble").evaluate((bubble) => {
      let length = 0;
      for (const node of bubble.childNodes) {
        if (node instanceof Element && node.classList.contains("sluice-chat__thinking")) continue;
        length += node.textContent?.length ?? 0;
      }
      return length;
    });
  }
}
