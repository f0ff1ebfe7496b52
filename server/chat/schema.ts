import { isIP } from "node:net";
import { z } from "zod";

export const MAX_MESSAGES = 100;
/**
 * The most max_tokens may ever be: above every model's output limit (the
 * largest in the price table is 2,000,000), so the schema refuses an absurd
 * number with its own words and the router checks the chosen model's limit.
 */
export const MAX_TOKENS_CEILING = 10_000_000;

/** A UTF-16 surrogate not part of a pair: text no provider can encode. */
const LONE_SURROGATE = /\p{Cs}/u;

const messageSchema = z.strictObject({
  role: z.enum(["system", "user", "assistant"], {
    error: (issue) =>
      `must be "system", "user" or "assistant", got ${JSON.stringify(issue.input ?? null)}`,
  }),
  content: z
    .string({ error: "must be a string" })
    .refine((text) => text.trim().length > 0, "must not be empty")
    .refine(
      (text) => !LONE_SURROGATE.test(text),
      "must be valid Unicode text (it holds an unpaired surrogate escape)",
    ),
});

/** An opaque, hashed visitor id: never a raw IP address or e-mail address. */
const visitorSchema = z
  .string({ error: "must be a string" })
  .min(8, "must be at least 8 characters (a hashed visitor id)")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9._:-]+$/, "may only hold letters, digits, '.', '_', ':' and '-'")
  .refine((value) => !value.includes("@"), "must be a hashed visitor id, not an e-mail address")
  .refine((value) => isIP(value) === 0, "must be a hashed visitor id, not an IP address");

/**
 * Who asked, for the request list: "plugin:<slug>", "theme:<slug>", "core" or a
 * client's own name. Lower case, 1-100 of a-z 0-9 . _ : / -; shown to the site's
 * admin, never used to decide anything.
 */
export const sourceSchema = z
  .string({ error: "must be a string" })
  .regex(
    /^[a-z0-9][a-z0-9._:/-]{0,99}$/,
    'must be 1-100 of a-z, 0-9, ".", "_", ":", "/" and "-", e.g. "plugin:my-plugin"',
  );

/**
 * A conversation's id, as the Chat block makes it and the plugin passes it on: opaque,
 * 8-64 of A-Za-z0-9 _ -. It only groups a site's kept transcripts.
 */
export const conversationIdSchema = z
  .string({ error: "must be a string" })
  .regex(/^[A-Za-z0-9_-]{8,64}$/, "must be 8-64 of A-Za-z, 0-9, '_' and '-'");

export function chatRequestSchema(limits: { maxInputChars: number }) {
  return z
    .strictObject({
      messages: z
        .array(messageSchema, {
          error: (issue) =>
            issue.input === undefined ? "is required" : "must be an array of messages",
        })
        .min(1, "must hold at least one message")
        .max(MAX_MESSAGES, `must hold at most ${MAX_MESSAGES} messages`),
      model: z
        .string({ error: "must be a string" })
        .regex(
          /^(auto|[a-z]+\/\S+)$/,
          'must be "auto" or "provider/model", e.g. "openai/gpt-4o-mini"',
        )
        .optional(),
      max_tokens: z
        .number({ error: "must be a number" })
        // abort: a number past the ceiling gets only that message, not also "whole number".
        .min(1, { error: "must be at least 1", abort: true })
        .max(MAX_TOKENS_CEILING, {
          error: `must be at most ${MAX_TOKENS_CEILING} (and at most the model's output limit)`,
          abort: true,
        })
        .int("must be a whole number")
        .optional(),
      temperature: z
        .number({ error: "must be a number" })
        .min(0, "must be from 0 to 2")
        .max(2, "must be from 0 to 2")
        .optional(),
      stream: z.boolean({ error: "must be true or false" }).optional(),
      user: visitorSchema.optional(),
      source: sourceSchema.optional(),
      // Keep this chat's question and answer for the site's admin (the plugin sets it from the
      // block's "Keep transcripts"; a visitor never reaches this body unsigned or unsealed).
      transcript: z.boolean({ error: "must be true or false" }).optional(),
      conversation_id: conversationIdSchema.optional(),
    })
    .superRefine((request, context) => {
      const total = request.messages.reduce((sum, message) => sum + message.content.length, 0);
      if (total > limits.maxInputChars) {
        context.addIssue({
          code: "custom",
          path: ["messages"],
          message: `hold ${total} characters in all; the limit is ${limits.maxInputChars}`,
        });
      }
      if (!request.messages.some((message) => message.role !== "system")) {
        context.addIssue({
          code: "custom",
          path: ["messages"],
          message: "must hold at least one user message besides system messages",
        });
      }
    });
}

export type ChatRequest = z.infer<ReturnType<typeof chatRequestSchema>>;

/** One line naming each wrong field and why, e.g. `messages[1].role: must be ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.length > 0 ? formatPath(issue.path) : "body";
      if (issue.code === "unrecognized_keys") {
        return `${where}: unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((key) => `"${key}"`).join(", ")}`;
      }
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === "number" ? `[${part}]` : `${index === 0 ? "" : "."}${String(part)}`,
    )
    .join("");
}
