import { z } from "zod";

/**
 * `choices[].delta.content`: a string for every provider here, except that
 * Mistral's reasoning models send an array of typed parts. The parts are read
 * by the profile's `deltaText`.
 */
const deltaContentSchema = z.union([z.string(), z.array(z.unknown())]).nullish();

export type DeltaContent = z.infer<typeof deltaContentSchema>;

/**
 * The parts of a chat.completion.chunk the adapter reads. Everything else a
 * provider adds (ids, fingerprints, `reasoning_content`, `obfuscation`,
 * Gemini's `extra_content`) is ignored. `usage` is left to the profile.
 * Some providers send a usage-only chunk without `choices`.
 */
export const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z.object({ content: deltaContentSchema }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z.unknown().optional(),
});

export type WireChunk = z.infer<typeof chunkSchema>;
