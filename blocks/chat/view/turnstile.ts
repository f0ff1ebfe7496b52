import { __ } from "@wordpress/i18n";
import type { ChatFailure } from "./errors";

/**
 * Cloudflare Turnstile on the page, while the site has it on (render.php prints
 * `turnstileSiteKey` and enqueues Cloudflare's script with `?render=explicit`): one
 * widget per Chat block, rendered explicitly, and a fresh token for every request
 * WordPress checks (the chat route and the ticket route; tokens are single-use).
 *
 * The script is waited for by polling `window.turnstile` (it is deferred, like the view
 * script, so either may run first) until a deadline; a question asked while it is still
 * missing fails then with a visitor message instead of waiting for ever.
 */

/** The render parameters this block uses (Cloudflare's client-side rendering docs). */
export interface TurnstileRenderParameters {
  sitekey: string;
  callback: (token: string) => void;
  "expired-callback": () => void;
  /** Returning true tells Turnstile the error was handled (it throws otherwise). */
  "error-callback": (code: string) => boolean;
  /** No hidden `cf-turnstile-response` input: the token goes in the request's JSON. */
  "response-field": boolean;
  /** Expired tokens are replaced by the widget itself. */
  "refresh-expired": "auto";
}

/** The part of `window.turnstile` this block calls. */
export interface TurnstileApi {
  render(container: HTMLElement, parameters: TurnstileRenderParameters): string | null | undefined;
  reset(widgetId: string): void;
  getResponse(widgetId: string): string | undefined;
  remove(widgetId: string): void;
  isExpired?(widgetId: string): boolean;
}

export interface TurnstileDeps {
  /** Cloudflare's API once its script ran (`window.turnstile`), else undefined. */
  api: () => TurnstileApi | undefined;
  /** How long a question waits for the script before it fails (ms). */
  loadTimeoutMs: number;
  /** How often the page looks for the script meanwhile (ms). */
  pollMs: number;
  now: () => number;
  setTimeout: (run: () => void, ms: number) => unknown;
}

export const DEFAULT_LOAD_TIMEOUT_MS = 15_000;

export const defaultTurnstileDeps = (): TurnstileDeps => ({
  api: () => (globalThis as { turnstile?: TurnstileApi }).turnstile,
  loadTimeoutMs: DEFAULT_LOAD_TIMEOUT_MS,
  pollMs: 100,
  now: () => Date.now(),
  setTimeout: (run, ms) => globalThis.setTimeout(run, ms),
});

/** Why no token could be had: the question was not sent, and `failure` says why. */
export class TurnstileError extends Error {
  override readonly name = "TurnstileError";
  constructor(readonly failure: ChatFailure) {
    super(`Turnstile: ${failure.kind}`);
  }
}

/** Where each request gets its token (the transports call it once per request). */
export type TokenSource = (signal: AbortSignal) => Promise<string>;

interface Waiter {
  resolve(token: string): void;
  reject(error: unknown): void;
}

function aborted(): DOMException {
  return new DOMException("The operation was aborted.", "AbortError");
}

export interface TurnstileGateOptions {
  /** Called when a question has to wait for the visitor to complete the check. */
  onWait?: () => void;
  deps?: Partial<TurnstileDeps>;
}

/**
 * One Chat block's Turnstile widget. `element` is its container (placed by the caller);
 * `token()` hands out each token once and resets the widget, so that the next request
 * gets a new one.
 */
export class TurnstileGate {
  readonly element: HTMLElement;
  readonly #siteKey: string;
  readonly #deps: TurnstileDeps;
  readonly #onWait: (() => void) | undefined;
  #api: TurnstileApi | undefined;
  #widgetId: string | undefined;
  /** The widget's newest token, not yet handed out. */
  #token: string | undefined;
  readonly #waiters = new Set<Waiter>();
  #loading: Promise<TurnstileApi> | undefined;
  /** Until when the script is looked for (each question moves it on). */
  #deadline = 0;

  constructor(doc: Document, siteKey: string, options: TurnstileGateOptions = {}) {
    this.#siteKey = siteKey;
    this.#deps = { ...defaultTurnstileDeps(), ...options.deps };
    this.#onWait = options.onWait;
    this.element = doc.createElement("div");
    this.element.className = "sluice-chat__turnstile";
    this.element.setAttribute("role", "group");
    this.element.setAttribute("aria-label", __("Security check", "sluice"));
  }

  /** Renders the widget as soon as the script is there (within the load deadline). */
  start(): void {
    this.#ready().catch(() => {
      // Nothing to say yet: a question asked without the script says it.
    });
  }

  /** A token for one request: the widget's current one, or the next it gives. */
  async token(signal: AbortSignal): Promise<string> {
    if (signal.aborted) throw aborted();
    const api = await this.#abortable(this.#ready(), signal);
    const id = this.#widgetId as string;
    let token = this.#token;
    if (!token) {
      const current = api.getResponse(id);
      if (current && !api.isExpired?.(id)) token = current;
    }
    if (!token) {
      this.#onWait?.();
      token = await this.#next(signal);
    }
    this.#token = undefined;
    // Single-use: the widget starts on the next token now.
    api.reset(id);
    return token;
  }

  /** After a refused token: the widget runs the check again (the visitor may retry). */
  reset(): void {
    this.#token = undefined;
    if (this.#api && this.#widgetId !== undefined) this.#api.reset(this.#widgetId);
  }

  /** Takes the widget off the page. */
  remove(): void {
    if (this.#api && this.#widgetId !== undefined) this.#api.remove(this.#widgetId);
    this.#widgetId = undefined;
    this.#token = undefined;
  }

  /** The API with this block's widget rendered, once the script is there. */
  async #ready(): Promise<TurnstileApi> {
    const api = await this.#loaded();
    if (this.#widgetId === undefined) this.#render(api);
    return api;
  }

  #render(api: TurnstileApi): void {
    let id: string | null | undefined;
    try {
      id = api.render(this.element, {
        sitekey: this.#siteKey,
        callback: (token) => this.#receive(token),
        "expired-callback": () => {
          this.#token = undefined;
        },
        "error-callback": () => {
          this.#token = undefined;
          this.#fail(new TurnstileError({ kind: "check_failed" }));
          return true;
        },
        "response-field": false,
        "refresh-expired": "auto",
      });
    } catch {
      id = undefined;
    }
    if (typeof id !== "string" || id === "") {
      throw new TurnstileError({ kind: "check_not_loaded" });
    }
    this.#api = api;
    this.#widgetId = id;
  }

  #receive(token: string): void {
    const [waiter] = this.#waiters;
    if (waiter) {
      this.#waiters.delete(waiter);
      waiter.resolve(token);
    } else {
      this.#token = token;
    }
  }

  #fail(error: TurnstileError): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) waiter.reject(error);
  }

  /** The widget's next token; aborting `signal` stops waiting. */
  #next(signal: AbortSignal): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (token) => {
          signal.removeEventListener("abort", onAbort);
          resolve(token);
        },
        reject: (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        this.#waiters.delete(waiter);
        reject(aborted());
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** `window.turnstile`, looked for until the deadline (moved on by each call). */
  #loaded(): Promise<TurnstileApi> {
    this.#deadline = Math.max(this.#deadline, this.#deps.now() + this.#deps.loadTimeoutMs);
    const api = this.#deps.api();
    if (api) return Promise.resolve(api);
    if (!this.#loading) {
      const loading = new Promise<TurnstileApi>((resolve, reject) => {
        const poll = () => {
          const found = this.#deps.api();
          if (found) resolve(found);
          else if (this.#deps.now() >= this.#deadline) {
            reject(new TurnstileError({ kind: "check_not_loaded" }));
          } else this.#deps.setTimeout(poll, this.#deps.pollMs);
        };
        this.#deps.setTimeout(poll, this.#deps.pollMs);
      });
      this.#loading = loading;
      // A later question looks again, with a deadline of its own.
      const done = () => {
        if (this.#loading === loading) this.#loading = undefined;
      };
      loading.then(done, done);
    }
    return this.#loading;
  }

  #abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(aborted());
      signal.addEventListener("abort", onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }
}
