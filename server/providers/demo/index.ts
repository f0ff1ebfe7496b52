import { setTimeout as delay } from "node:timers/promises";
import { countMessageTokens, countTextTokens } from "../../tokens/count.ts";
import type { AdapterFactory, ProviderCall, ProviderEvent } from "../types.ts";
import { demoAnswer, splitIntoDeltas } from "./script.ts";

/**
 * The built-in provider: no key, no network. Streams a plausible answer word by
 * word at `delayMs` per word, honours max_tokens and aborts, and reports usage
 * like a real provider so the whole product works out of the box.
 */
export function createDemoAdapter(options: { delayMs: number }): AdapterFactory {
  return () => ({
    id: "demo",
    async open(call, signal) {
      signal.throwIfAborted();
      return stream(call, signal, options.delayMs);
    },
  });
}

async function* stream(
  call: ProviderCall,
  signal: AbortSignal,
  delayMs: number,
): AsyncGenerator<ProviderEvent> {
  const inputTokens = countMessageTokens(call.messages);
  let text = "";
  let outputTokens = 0;
  let reason: "stop" | "length" = "stop";
  for (const delta of splitIntoDeltas(demoAnswer(call.messages))) {
    const deltaTokens = countTextTokens(delta);
    if (outputTokens + deltaTokens > call.maxTokens) {
      reason = "length";
      break;
    }
    if (delayMs > 0) await delay(delayMs, undefined, { signal });
    signal.throwIfAborted();
    text += delta;
    outputTokens += deltaTokens;
    yield { type: "text-delta", text: delta };
  }
  const usage = {
    inputTokens,
    outputTokens: countTextTokens(text),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  };
  yield { type: "usage", usage };
  yield { type: "finish", reason, rawReason: reason };
}
