import { type Agent, request } from "node:http";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { PreparedRequest, RunningTarget, WireFormat } from "../targets/types.ts";
import { parseChunkText, type StreamSpec, streamDurationMs } from "./spec.ts";

/** What the client saw of one stream. Times are performance.now() of this process. */
export interface StreamOutcome {
  /** undefined when the stream delivered everything it should have. */
  failure: string | undefined;
  /** Request start to the first content chunk, ms. */
  ttfcMs: number | undefined;
  /** Arrival time of each content chunk, in order. */
  arrivals: number[];
  /** Per content chunk: arrival (wall clock) minus the upstream's send time, ms. */
  lags: number[];
  /** Request start to the upstream sending the first chunk (wall clock), ms: the way in. */
  inboundMs: number | undefined;
}

const MAX_ERROR_BODY = 300;
/** A stream still open this long after its expected end has failed (timeout). */
export const GRACE_MS = 60_000;

/**
 * Runs one stream against a target and checks it: HTTP 200, every content chunk
 * in order (c0…c{n-1}), the finish and usage (output tokens = chunks), and
 * [DONE]. A stream that misses any of these is a failure, named by its reason.
 */
export function runStream(
  target: RunningTarget,
  spec: StreamSpec,
  agent: Agent,
): Promise<StreamOutcome> {
  return streamFrom(target, target.prepare(spec), target.format, spec, agent);
}

/** Where a stream is asked for: a host and port on loopback. */
export interface Endpoint {
  host: string;
  port: number;
}

/**
 * Runs one prepared stream request and checks it as runStream does. `startedAt`
 * (performance.now()) is where its TTFC and inbound time count from: by default just
 * before the request is sent; earlier when the stream needed a request before it (a
 * direct-mode chat's ticket).
 */
export function streamFrom(
  endpoint: Endpoint,
  prepared: PreparedRequest,
  format: WireFormat,
  spec: StreamSpec,
  agent: Agent,
  startedAt = performance.now(),
): Promise<StreamOutcome> {
  const reader = format === "sluice" ? new SluiceReader() : new OpenAiReader();
  const arrivals: number[] = [];
  const lags: number[] = [];
  let ttfcMs: number | undefined;
  let inboundMs: number | undefined;
  let contentError: string | undefined;
  let now = 0;

  reader.onContent = (text) => {
    const chunk = parseChunkText(text);
    if (!chunk || chunk.index !== arrivals.length) {
      contentError ??= `chunk ${arrivals.length} out of order or unreadable: ${JSON.stringify(text).slice(0, 60)}`;
      return;
    }
    if (ttfcMs === undefined) {
      ttfcMs = now - startedAt;
      inboundMs = chunk.sentAt - (performance.timeOrigin + startedAt);
    }
    arrivals.push(now);
    lags.push(performance.timeOrigin + now - chunk.sentAt);
  };

  return new Promise((resolve) => {
    let settled = false;
    const settle = (failure: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ failure, ttfcMs, arrivals, lags, inboundMs });
    };
    const timeoutMs = streamDurationMs(spec) + GRACE_MS;
    const deadline = setTimeout(() => {
      settle(`timeout after ${timeoutMs} ms (${arrivals.length}/${spec.chunks} chunks)`);
      req.destroy();
    }, timeoutMs);

    const req = request(
      {
        host: endpoint.host,
        port: endpoint.port,
        method: "POST",
        path: prepared.path,
        headers: { ...prepared.headers, "Content-Length": Buffer.byteLength(prepared.body) },
        agent,
      },
      (res) => {
        res.setEncoding("utf8");
        if (res.statusCode !== 200) {
          let text = "";
          res.on("data", (part: string) => {
            text += part;
          });
          res.on("end", () => settle(`HTTP ${res.statusCode}: ${text.slice(0, MAX_ERROR_BODY)}`));
          res.on("error", () => settle(`HTTP ${res.statusCode}`));
          return;
        }
        const parser = createParser({
          onEvent: (event) => reader.event(event),
          onError: (error) => {
            reader.problem ??= `unparseable SSE: ${error.message}`;
          },
        });
        res.on("data", (part: string) => {
          now = performance.now();
          parser.feed(part);
        });
        res.on("end", () => {
          const problem =
            contentError ?? reader.problem ?? reader.incomplete(spec, arrivals.length);
          settle(problem);
        });
        res.on("error", (error: NodeJS.ErrnoException) =>
          settle(`response broke after ${arrivals.length} chunks: ${error.code ?? error.message}`),
        );
        // 'end' comes first on a whole response; a close without it is a cut.
        res.on("close", () => settle(`connection closed after ${arrivals.length} chunks`));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) =>
      settle(`request failed: ${error.code ?? error.message}`),
    );
    req.end(prepared.body);
  });
}

/** Reads one wire format: reports content text, remembers what the stream must end with. */
abstract class Reader {
  onContent: (text: string) => void = () => {};
  problem: string | undefined;
  protected done = false;
  protected outputTokens: number | undefined;

  abstract event(event: EventSourceMessage): void;

  /** Why the ended stream is incomplete, or undefined when it is whole. */
  incomplete(spec: StreamSpec, received: number): string | undefined {
    if (received !== spec.chunks) return `${received}/${spec.chunks} chunks`;
    if (this.outputTokens === undefined) return "no usage";
    if (this.outputTokens !== spec.chunks) return `usage says ${this.outputTokens} output tokens`;
    if (!this.done) return "no [DONE]";
    return this.finishProblem();
  }

  protected finishProblem(): string | undefined {
    return undefined;
  }

  protected json(data: string): Record<string, unknown> | undefined {
    try {
      return JSON.parse(data) as Record<string, unknown>;
    } catch {
      this.problem ??= `unparseable JSON: ${data.slice(0, 60)}`;
      return undefined;
    }
  }
}

/** OpenAI chat.completion.chunk frames, a finish reason, a usage chunk, [DONE]. */
class OpenAiReader extends Reader {
  #finished = false;

  event(event: EventSourceMessage): void {
    if (event.data === "[DONE]") {
      this.done = true;
      return;
    }
    const chunk = this.json(event.data) as OpenAiChunk | undefined;
    if (!chunk) return;
    if (chunk.error) this.problem ??= `error chunk: ${JSON.stringify(chunk.error).slice(0, 100)}`;
    const choice = chunk.choices?.[0];
    const text = choice?.delta?.content;
    if (typeof text === "string" && text.length > 0) this.onContent(text);
    if (choice?.finish_reason) this.#finished = true;
    if (chunk.usage) this.outputTokens = chunk.usage.completion_tokens;
  }

  protected override finishProblem(): string | undefined {
    return this.#finished ? undefined : "no finish_reason";
  }
}

interface OpenAiChunk {
  error?: unknown;
  choices?: Array<{ delta?: { content?: unknown }; finish_reason?: string | null }>;
  usage?: { completion_tokens?: number } | null;
}

/** Sluice's wire format v1: usage_start, content…, usage_final, [DONE]; an error event fails. */
class SluiceReader extends Reader {
  #started = false;

  event(event: EventSourceMessage): void {
    if (event.event === "usage_start") {
      this.#started = true;
      return;
    }
    if (event.event === "usage_final") {
      const final = this.json(event.data);
      if (final) this.outputTokens = final.output_tokens as number;
      return;
    }
    if (event.event === "error") {
      this.problem ??= `error event: ${event.data.slice(0, 120)}`;
      return;
    }
    if (event.data === "[DONE]") {
      this.done = true;
      return;
    }
    const content = this.json(event.data);
    if (content?.type === "content" && typeof content.data === "string")
      this.onContent(content.data);
  }

  protected override finishProblem(): string | undefined {
    return this.#started ? undefined : "no usage_start";
  }
}
