import { z } from "zod";
import type { DeltaContent } from "../openai-compatible/wire.ts";

const textPartSchema = z.object({ type: z.literal("text"), text: z.string() });

/**
 * Mistral's reasoning models (magistral) stream `delta.content` as an array of
 * typed parts: `{"type": "thinking", "thinking": [...]}` for the reasoning,
 * `{"type": "text", "text": ...}` for the answer. Other models send a string.
 * Only text parts are answer text; thinking tokens are billed through usage.
 */
export function mistralDeltaText(content: DeltaContent): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  let text = "";
  for (const part of content) {
    const parsed = textPartSchema.safeParse(part);
    if (parsed.success) text += parsed.data.text;
  }
  return text;
}
