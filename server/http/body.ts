import type { Request } from "express";
import type { z } from "zod";
import { GatewayError } from "./errors.ts";

/** application/json, in any case, with or without parameters (charset). */
const JSON_TYPE = /^\s*application\/json\s*(;|$)/i;

/**
 * Reads a JSON request body (kept raw for the signature check) and validates
 * it. Every failure is a 400 that says what is wrong: the content type, the
 * JSON itself, or each wrong field.
 */
export function parseJsonBody<Schema extends z.ZodType>(
  req: Request,
  schema: Schema,
  explain: (error: z.ZodError) => string,
): z.infer<Schema> {
  if (!JSON_TYPE.test(req.headers["content-type"] ?? "")) {
    throw new GatewayError(
      400,
      "invalid_content_type",
      `Content-Type must be application/json, got ${req.get("content-type") ?? "none"}`,
    );
  }
  const raw = Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "";
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message : "unreadable";
    throw new GatewayError(400, "invalid_json", `the body is not valid JSON: ${reason}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new GatewayError(400, "invalid_request", "body: must be a JSON object");
  }
  const result = schema.safeParse(body);
  if (!result.success) throw new GatewayError(400, "invalid_request", explain(result.error));
  return result.data;
}
