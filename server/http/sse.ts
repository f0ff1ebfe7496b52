import type { ServerResponse } from "node:http";

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  Connection: "keep-alive",
  "X-Accel-Buffering": "no",
} as const;

/**
 * Writes Server-Sent Events to one response. Respects backpressure: when the
 * socket's buffer is full, `send` returns a promise of 'drain', so a slow
 * reader slows the upstream read instead of growing memory. Sends a
 * `: keep-alive` comment after a silence of `keepAliveMs`.
 */
export class SseWriter {
  readonly #response: ServerResponse;
  readonly #ticker: KeepAliveTicker;
  /** Cleared by each keep-alive tick: false on the next tick means a silence. */
  wroteSinceTick = false;
  #closed = false;
  #held = false;

  constructor(response: ServerResponse, keepAliveMs: number, headers: Record<string, string> = {}) {
    this.#response = response;
    // The headers go out with the first event, in one write.
    response.writeHead(200, { ...SSE_HEADERS, ...headers });
    response.once("close", () => this.#stop());
    this.#ticker = tickerFor(keepAliveMs);
    this.#ticker.writers.add(this);
  }

  /** True once the client went away or the stream was ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one event; `event` names it (omitted for plain data frames).
   * Returns a promise only when the socket's buffer is full: wait for it
   * before sending more.
   */
  send(data: string, event?: string): Promise<void> | undefined {
    this.wroteSinceTick = true;
    const flowing = this.#write(frame(data, event));
    this.#release();
    return flowing ? undefined : this.#drained();
  }

  /** Sends the keep-alive comment. */
  keepAlive(): void {
    this.#write(": keep-alive\n\n");
  }

  /**
   * Sends one event, but holds it (with the headers) until the next event or
   * the end of this turn of the event loop, whichever comes first: when the
   * next event is already at hand, both leave in one write.
   */
  hold(data: string, event?: string): void {
    if (this.#closed) return;
    this.wroteSinceTick = true;
    if (!this.#held) {
      this.#held = true;
      this.#response.cork();
      setImmediate(() => this.#release());
    }
    this.#write(frame(data, event));
  }

  /** Ends the stream, with last frames if given, in one write. */
  end(lastFrames?: { data: string; event?: string }[]): void {
    this.#release();
    if (!this.#closed) {
      const tail = (lastFrames ?? []).map(({ data, event }) => frame(data, event)).join("");
      this.#response.end(tail);
    }
    this.#stop();
  }

  #write(text: string): boolean {
    if (this.#closed) return true;
    return this.#response.write(text);
  }

  #release(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#response.uncork();
  }

  #drained(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#response.off("drain", done);
        this.#response.off("close", done);
        resolve();
      };
      this.#response.on("drain", done);
      this.#response.on("close", done);
    });
  }

  #stop(): void {
    this.#closed = true;
    this.#ticker.remove(this);
  }
}

/**
 * One interval timer for all open streams with the same keep-alive period,
 * rather than one per stream: a stream that wrote nothing since the last tick
 * gets a comment.
 */
interface KeepAliveTicker {
  writers: Set<SseWriter>;
  remove(writer: SseWriter): void;
}

const tickers = new Map<number, KeepAliveTicker>();

function tickerFor(periodMs: number): KeepAliveTicker {
  const existing = tickers.get(periodMs);
  if (existing) return existing;
  const writers = new Set<SseWriter>();
  const timer = setInterval(() => {
    for (const writer of writers) {
      if (!writer.wroteSinceTick) writer.keepAlive();
      writer.wroteSinceTick = false;
    }
  }, periodMs);
  timer.unref();
  const ticker: KeepAliveTicker = {
    writers,
    remove(writer) {
      writers.delete(writer);
      if (writers.size > 0) return;
      clearInterval(timer);
      tickers.delete(periodMs);
    },
  };
  tickers.set(periodMs, ticker);
  return ticker;
}

function frame(data: string, event?: string): string {
  return event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}
