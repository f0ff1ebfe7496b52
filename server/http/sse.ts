import type { ServerResponse } from "node:http";

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  Connection: "keep-alive",
  "X-Accel-Buffering": "no",
} as const;

/**
 * Writes Server-Sent Events to one response. Respects backpressure: when the
 * socket's buffer is full, `send` waits for 'drain' before it resolves, so a
 * slow reader slows the upstream read instead of growing memory. Sends a
 * `: keep-alive` comment after a silence of `keepAliveMs`.
 */
export class SseWriter {
  readonly #response: ServerResponse;
  readonly #keepAlive: NodeJS.Timeout;
  #wroteSinceTick = false;
  #closed = false;

  constructor(response: ServerResponse, keepAliveMs: number, headers: Record<string, string> = {}) {
    this.#response = response;
    response.writeHead(200, { ...SSE_HEADERS, ...headers });
    response.flushHeaders();
    response.once("close", () => this.#stop());
    this.#keepAlive = setInterval(() => {
      if (!this.#wroteSinceTick) this.#write(": keep-alive\n\n");
      this.#wroteSinceTick = false;
    }, keepAliveMs);
    this.#keepAlive.unref();
  }

  /** True once the client went away or the stream was ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one event; `event` names it (omitted for plain data frames). */
  send(data: string, event?: string): Promise<void> {
    const frame = event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
    this.#wroteSinceTick = true;
    if (this.#write(frame)) return Promise.resolve();
    return this.#drained();
  }

  end(): void {
    if (!this.#closed) this.#response.end();
    this.#stop();
  }

  #write(frame: string): boolean {
    if (this.#closed) return true;
    return this.#response.write(frame);
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
    clearInterval(this.#keepAlive);
  }
}
