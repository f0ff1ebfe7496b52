import { Readable } from "node:stream";
import { ProviderStreamError } from "../errors.ts";
import { Channel } from "../transport/channel.ts";
import { StreamedResponse } from "../transport/node-fetch.ts";
import { readSse } from "../transport/sse.ts";
import type { ProviderEvent } from "../types.ts";
import { abortError } from "./errors.ts";
import type { CompatibleProfile } from "./profile.ts";
import { chunkSchema, type WireChunk } from "./wire.ts";

export interface StreamContext {
  profile: CompatibleProfile;
  signal: AbortSignal;
  upstreamRequestId: string | undefined;
}

/**
 * Reads a streaming chat-completions answer into canonical events:
 * `delta.content` → text-delta, each `usage` object → usage (a full snapshot:
 * providers send it once at the end, on the finish chunk, or cumulatively on
 * every chunk; it replaces, never adds), and `finish_reason` → finish,
 * emitted last, once the stream has ended, so that usage arriving after the
 * finish chunk comes first.
 *
 * The finish reason is the proof that the answer is complete (`[DONE]` is
 * optional for some servers): a stream that ends without one was cut. A
 * connection that breaks after the finish reason (before the usage chunk or
 * `[DONE]`) still completes; a malformed chunk or an in-band error never
 * does. Leaving the loop early closes the upstream connection.
 */
export function readCompatibleStream(
  response: Response,
  context: StreamContext,
): AsyncIterableIterator<ProviderEvent> {
  const { profile, signal } = context;
  const provider = profile.id;
  const stream = bodyStream(response);
  const channel = new Channel<ProviderEvent>({
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    cancel: () => stream.destroy(),
  });
  let finishReason: string | null = null;
  let sawDone = false;

  const onAbort = () => {
    channel.fail(abortError(provider, signal));
    stream.destroy();
  };
  if (signal.aborted) onAbort();
  signal.addEventListener("abort", onAbort, { once: true });
  const close = (error?: unknown) => {
    signal.removeEventListener("abort", onAbort);
    if (error !== undefined) {
      channel.fail(error);
      stream.destroy();
      return;
    }
    if (finishReason === null) {
      channel.fail(streamError(context, "stream ended before the provider finished"));
      return;
    }
    const reason = profile.toFinishReason(finishReason);
    channel.push({ type: "finish", reason, rawReason: finishReason });
    channel.end();
  };

  readSse(stream, {
    onEvent(data, event) {
      if (sawDone) return;
      if (data.startsWith("[DONE]")) {
        sawDone = true;
        return;
      }
      const chunk = parseChunk(data, event, context);
      const choice = chunk.choices?.[0];
      const text = profile.deltaText(choice?.delta?.content);
      if (text.length > 0) channel.push({ type: "text-delta", text });
      if (chunk.usage !== undefined && chunk.usage !== null) {
        const report = profile.readUsage(chunk.usage);
        if (!report) throw streamError(context, "malformed usage in chunk");
        channel.push(
          report.providerCostUsd === undefined
            ? { type: "usage", usage: report.usage }
            : { type: "usage", usage: report.usage, providerCostUsd: report.providerCostUsd },
        );
      }
      // Some servers send "" rather than null while the answer goes on.
      if (choice?.finish_reason) finishReason = choice.finish_reason;
    },
    onEnd: () => close(),
    onError(error) {
      if (signal.aborted) return close(abortError(provider, signal));
      if (error instanceof ProviderStreamError) return close(error);
      // The connection broke. After the finish reason, nothing of the answer was lost.
      if (finishReason !== null) return close();
      close(streamError(context, "stream ended before the provider finished", error));
    },
  });
  return channel;
}

function bodyStream(response: Response): Readable {
  if (response instanceof StreamedResponse) return response.stream;
  if (response.body === null) return Readable.from([]);
  return Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
}

function parseChunk(data: string, event: string | undefined, context: StreamContext): WireChunk {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch (error) {
    throw streamError(context, `malformed chunk: ${(error as Error).message}`);
  }
  const inBand = inBandError(raw, event);
  if (inBand !== undefined) throw streamError(context, `error in stream: ${inBand}`);
  // Hot path: a plain check per chunk; zod runs only to explain a bad one.
  if (isWireChunk(raw)) return raw;
  const parsed = chunkSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue ? `${issue.path.join(".") || "chunk"}: ${issue.message}` : "unreadable";
  throw streamError(context, `malformed chunk (${where})`);
}

/** `{"error": …}` in a chunk, or an `event: error` frame: the provider gave up mid-answer. */
function inBandError(raw: unknown, event: string | undefined): string | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const error = (raw as { error?: unknown }).error;
  if (!error && event !== "error") return undefined;
  const detail = error ?? raw;
  if (typeof detail === "string") return detail;
  const message = (detail as { message?: unknown }).message;
  return typeof message === "string" ? message : JSON.stringify(detail);
}

function streamError(context: StreamContext, reason: string, cause?: unknown): ProviderStreamError {
  const provider = context.profile.id;
  const detail = cause instanceof Error ? ` (${cause.message})` : "";
  return new ProviderStreamError(`${provider}: ${reason}${detail}`, {
    provider,
    upstreamRequestId: context.upstreamRequestId,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The same rule as chunkSchema, checked without allocating (every chunk goes through here). */
function isWireChunk(raw: unknown): raw is WireChunk {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return false;
  const choices = (raw as { choices?: unknown }).choices;
  if (choices === undefined || choices === null) return true;
  if (!Array.isArray(choices)) return false;
  for (const choice of choices) {
    if (typeof choice !== "object" || choice === null) return false;
    const { delta, finish_reason: finish } = choice as { delta?: unknown; finish_reason?: unknown };
    if (finish !== undefined && finish !== null && typeof finish !== "string") return false;
    if (delta === undefined || delta === null) continue;
    if (typeof delta !== "object") return false;
    const content = (delta as { content?: unknown }).content;
    if (
      content !== undefined &&
      content !== null &&
      typeof content !== "string" &&
      !Array.isArray(content)
    ) {
      return false;
    }
  }
  return true;
}
