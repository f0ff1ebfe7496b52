import type { ChatMessage } from "../types.ts";

const ECHO_COMMAND = "/echo ";

const PARAGRAPHS = [
  "This answer comes from Sluice's built-in demo provider: no API key and no network are involved, yet it streams, stops and is billed exactly like a real model, priced as a small one.",
  "Each piece of this text reaches your browser as its own server-sent event. The WordPress plugin passes the stream through unchanged, and the Chat block renders every delta as it arrives.",
  "Before the first word, the gateway sent a usage_start event naming the provider and model. When the answer ends, or when you press Stop, it sends usage_final with the tokens consumed and their cost in US dollars, and records the same numbers in its SQLite ledger.",
  "To chat with a real model, give the gateway a provider key, for example SLUICE_OPENAI_API_KEY, or store one in the encrypted vault with `sluice key set openai`. Then choose that model in the block's settings.",
  "Site admins can see what has been spent under Settings → Sluice, and the gateway refuses a request it cannot afford instead of overspending.",
];

/**
 * The demo's answer to a conversation. `/echo TEXT` as the last user message
 * answers TEXT verbatim (useful for testing how clients render output).
 */
export function demoAnswer(messages: readonly ChatMessage[]): string {
  const question =
    [...messages].reverse().find((message) => message.role === "user")?.content ?? "";
  if (question.startsWith(ECHO_COMMAND)) return question.slice(ECHO_COMMAND.length);
  const topic = question.trim().replace(/\s+/g, " ").slice(0, 120);
  return [`You asked: “${topic}”.`, ...PARAGRAPHS].join("\n\n");
}

/** Splits text into word-sized deltas, keeping the whitespace that follows each word. */
export function splitIntoDeltas(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}
