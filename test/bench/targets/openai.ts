import { type StreamSpec, specMessage } from "../lib/spec.ts";
import type { PreparedRequest } from "./types.ts";

/** The OpenAI chat-completions request of one stream, as an OpenAI client would send it. */
export function openaiRequest(
  spec: StreamSpec,
  path: string,
  headers: Record<string, string> = {},
): PreparedRequest {
  return {
    path,
    headers: { "Content-Type": "application/json", Authorization: "Bearer sk-bench", ...headers },
    body: JSON.stringify({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: specMessage(spec) }],
      max_tokens: spec.chunks,
      stream: true,
      stream_options: { include_usage: true },
    }),
  };
}
