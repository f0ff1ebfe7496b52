import { deepseekProfile } from "../../../server/providers/deepseek/index.ts";
import { googleProfile } from "../../../server/providers/google/index.ts";
import { huggingfaceProfile } from "../../../server/providers/huggingface/index.ts";
import { mistralProfile } from "../../../server/providers/mistral/index.ts";
import { openaiProfile } from "../../../server/providers/openai/index.ts";
import {
  type CompatibleAdapterOptions,
  type CompatibleProfile,
  createCompatibleAdapter,
} from "../../../server/providers/openai-compatible/index.ts";
import { qwenProfile } from "../../../server/providers/qwen/index.ts";
import type {
  ProviderAdapter,
  ProviderCall,
  ProviderEvent,
  TokenUsage,
} from "../../../server/providers/types.ts";
import { xaiProfile } from "../../../server/providers/xai/index.ts";
import type { WireServer } from "./server.ts";
import type { WireProvider } from "./wire-profiles.ts";

export const TEST_KEY = "sk-test-0123456789";

export const profiles: Record<WireProvider, CompatibleProfile> = {
  openai: openaiProfile,
  google: googleProfile,
  deepseek: deepseekProfile,
  xai: xaiProfile,
  mistral: mistralProfile,
  qwen: qwenProfile,
  huggingface: huggingfaceProfile,
};

/** The fixture each provider's tests stream unless they need another. */
export interface MainFixture {
  /** A file in fixtures/, without `.sse`. */
  name: string;
  /** The text of its first text chunk. */
  firstText: string;
  /** Lines of the fixture up to and including its first text chunk. */
  throughFirstText: number;
}

/** Each provider's main fixture. */
export const fixtures: Record<WireProvider, MainFixture> = {
  openai: { name: "openai-gpt-4o-mini", firstText: "Hello", throughFirstText: 2 },
  google: { name: "google-gemini-2.5-flash", firstText: "Sluice", throughFirstText: 1 },
  deepseek: { name: "deepseek-chat", firstText: "Cache", throughFirstText: 4 },
  xai: { name: "xai-grok-3-mini", firstText: "Grok", throughFirstText: 3 },
  mistral: { name: "mistral-small", firstText: "Bonjour", throughFirstText: 2 },
  qwen: { name: "qwen-max", firstText: "我是", throughFirstText: 2 },
  huggingface: { name: "huggingface-router", firstText: "Routed", throughFirstText: 2 },
};

export function adapterFor(
  server: WireServer,
  provider: WireProvider,
  options?: CompatibleAdapterOptions,
): ProviderAdapter {
  return createCompatibleAdapter(
    profiles[provider],
    { apiKey: TEST_KEY, baseUrl: server.baseUrl(provider) },
    options,
  );
}

export function chatCall(overrides: Partial<ProviderCall> = {}): ProviderCall {
  return {
    model: "test-model",
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Say hello." },
    ],
    maxTokens: 200,
    ...overrides,
  };
}

export interface Collected {
  events: ProviderEvent[];
  text: string;
  /** The last usage event. */
  usage: TokenUsage | undefined;
  providerCostUsd: number | undefined;
  finish: Extract<ProviderEvent, { type: "finish" }> | undefined;
  /** What the iterator threw, if anything. */
  error: unknown;
}

/** Reads every event until the iterator ends or throws. */
export async function collect(events: AsyncIterable<ProviderEvent>): Promise<Collected> {
  const seen: ProviderEvent[] = [];
  let error: unknown;
  try {
    for await (const event of events) seen.push(event);
  } catch (caught) {
    error = caught;
  }
  let usage: TokenUsage | undefined;
  let providerCostUsd: number | undefined;
  let finish: Collected["finish"];
  let text = "";
  for (const event of seen) {
    if (event.type === "text-delta") text += event.text;
    else if (event.type === "usage") {
      usage = event.usage;
      providerCostUsd = event.providerCostUsd;
    } else finish = event;
  }
  return { events: seen, text, usage, providerCostUsd, finish, error };
}

/** Opens the call and reads it to the end. */
export async function run(
  adapter: ProviderAdapter,
  call: ProviderCall = chatCall(),
  signal: AbortSignal = new AbortController().signal,
): Promise<Collected> {
  return collect(await adapter.open(call, signal));
}

/** What open() rejected with. */
export async function openError(
  adapter: ProviderAdapter,
  signal: AbortSignal = new AbortController().signal,
): Promise<unknown> {
  try {
    await adapter.open(chatCall(), signal);
  } catch (error) {
    return error;
  }
  throw new Error("open() resolved, but a rejection was expected");
}
