import { ProviderStreamError } from "../errors.ts";
import type { ProviderEvent } from "../types.ts";
import { abortError, isTransportFailure, toStreamError } from "./errors.ts";
import type { CompatibleProfile } from "./profile.ts";
import { chunkSchema, type WireChunk } from "./wire.ts";

export interface StreamContext {
  profile: CompatibleProfile;
  signal: AbortSignal;
  upstreamRequestId: string | undefined;
}

/**
 * Turns the SDK's chunks into canonical events: `delta.content` → text-delta,
 * each `usage` object → usage (a full snapshot: providers send it once at the
 * end, on the finish chunk, or cumulatively on every chunk; it replaces, never
 * adds), and `finish_reason` → finish, emitted last, once the stream has ended,
 * so that usage arriving after the finish chunk comes first.
 *
 * The SDK consumes `[DONE]` itself, so the finish reason is the proof that the
 * answer is complete: a stream that ends without one was cut. A connection
 * that breaks after the finish reason (before the usage chunk or `[DONE]`)
 * still completes; a malformed chunk or an in-band error never does.
 */
export async function* toProviderEvents(
  chunks: AsyncIterable<unknown>,
  context: StreamContext,
): AsyncGenerator<ProviderEvent, void, undefined> {
  const { profile, signal, upstreamRequestId } = context;
  const provider = profile.id;
  let finishReason: string | null = null;
  try {
    for await (const raw of chunks) {
      // Leaving the loop makes the SDK abort the request, closing the upstream.
      if (signal.aborted) break;
      const chunk = parseChunk(raw, context);
      const choice = chunk.choices?.[0];
      const text = profile.deltaText(choice?.delta?.content);
      if (text.length > 0) yield { type: "text-delta", text };
      if (chunk.usage !== undefined && chunk.usage !== null) {
        const report = profile.readUsage(chunk.usage);
        if (!report) {
          throw new ProviderStreamError(`${provider}: malformed usage in chunk`, {
            provider,
            upstreamRequestId,
          });
        }
        yield report.providerCostUsd === undefined
          ? { type: "usage", usage: report.usage }
          : { type: "usage", usage: report.usage, providerCostUsd: report.providerCostUsd };
      }
      // Some servers send "" rather than null while the answer goes on.
      if (choice?.finish_reason) finishReason = choice.finish_reason;
    }
  } catch (error) {
    const finishedBeforeTheBreak = finishReason !== null && isTransportFailure(error);
    if (signal.aborted || !finishedBeforeTheBreak) {
      throw toStreamError(provider, error, signal, upstreamRequestId);
    }
  }
  // The SDK ends its iterator quietly when the request is aborted.
  if (signal.aborted) throw abortError(provider, signal);
  if (finishReason === null) {
    throw new ProviderStreamError(`${provider}: stream ended before the provider finished`, {
      provider,
      upstreamRequestId,
    });
  }
  yield { type: "finish", reason: profile.toFinishReason(finishReason), rawReason: finishReason };
}

function parseChunk(raw: unknown, context: StreamContext): WireChunk {
  // Hot path: a plain check per chunk; zod runs only to explain a bad one.
  if (isWireChunk(raw)) return raw;
  const parsed = chunkSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue ? `${issue.path.join(".") || "chunk"}: ${issue.message}` : "unreadable";
  throw new ProviderStreamError(`${context.profile.id}: malformed chunk (${where})`, {
    provider: context.profile.id,
    upstreamRequestId: context.upstreamRequestId,
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
