import {
  type ScriptedServer,
  startScriptedServer,
  type WireFormat,
} from "../support/scripted-server.ts";

/**
 * A local server that speaks Anthropic's Messages API wire format:
 * `POST /v1/messages` answering `text/event-stream` with named events, or a
 * JSON error envelope. What it answers is scripted per model name.
 */

export type SseStep =
  /** One well-formed event: `event: <name>` + `data: <JSON>`. */
  | { event: string; data: unknown }
  /** Bytes written as they are (a malformed line, a comment). */
  | { raw: string };

export type AnthropicTestServer = ScriptedServer<SseStep>;

let requestCounter = 0;

const messagesFormat: WireFormat<SseStep> = {
  serves: (method, path) => method === "POST" && path === "/v1/messages",
  modelOf: (_path, body) => (typeof body.model === "string" ? body.model : ""),
  notFoundType: "not_found_error",
  streamHeaders: () => ({
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "request-id": nextRequestId(),
  }),
  encode: (step) =>
    "raw" in step ? step.raw : `event: ${step.event}\ndata: ${JSON.stringify(step.data)}\n\n`,
  errorEnvelope({ errorType, message }) {
    const requestId = nextRequestId();
    return {
      headers: { "content-type": "application/json", "request-id": requestId },
      body: JSON.stringify({
        type: "error",
        error: { type: errorType, message },
        request_id: requestId,
      }),
    };
  },
};

export function startAnthropicServer(): Promise<AnthropicTestServer> {
  return startScriptedServer(messagesFormat);
}

function nextRequestId(): string {
  requestCounter += 1;
  return `req_test${String(requestCounter).padStart(6, "0")}`;
}

// Builders for the events of a real Messages stream.

export interface StartUsage {
  input_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  output_tokens: number;
}

export function messageStart(model: string, usage: StartUsage): SseStep {
  return {
    event: "message_start",
    data: {
      type: "message_start",
      message: {
        id: "msg_01TestStream",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage },
      },
    },
  };
}

export function textBlock(index: number, pieces: string[]): SseStep[] {
  return [
    {
      event: "content_block_start",
      data: { type: "content_block_start", index, content_block: { type: "text", text: "" } },
    },
    ...pieces.map(
      (text): SseStep => ({
        event: "content_block_delta",
        data: { type: "content_block_delta", index, delta: { type: "text_delta", text } },
      }),
    ),
    { event: "content_block_stop", data: { type: "content_block_stop", index } },
  ];
}

export function thinkingBlock(index: number, thinking: string): SseStep[] {
  return [
    {
      event: "content_block_start",
      data: {
        type: "content_block_start",
        index,
        content_block: { type: "thinking", thinking: "", signature: "" },
      },
    },
    {
      event: "content_block_delta",
      data: { type: "content_block_delta", index, delta: { type: "thinking_delta", thinking } },
    },
    {
      event: "content_block_delta",
      data: {
        type: "content_block_delta",
        index,
        delta: { type: "signature_delta", signature: "c2ln" },
      },
    },
    { event: "content_block_stop", data: { type: "content_block_stop", index } },
  ];
}

export const ping: SseStep = { event: "ping", data: { type: "ping" } };

export function messageDelta(stopReason: string | null, usage: Record<string, unknown>): SseStep {
  return {
    event: "message_delta",
    data: {
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage,
    },
  };
}

export const messageStop: SseStep = { event: "message_stop", data: { type: "message_stop" } };
