import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local server that speaks Anthropic's Messages API wire format:
 * `POST /v1/messages` answering `text/event-stream` with named events, or a
 * JSON error envelope. What it answers is scripted per model name.
 */

export type SseStep =
  /** One well-formed event: `event: <name>` + `data: <JSON>`. */
  | { event: string; data: unknown }
  /** Bytes written as they are (a malformed line, a comment). */
  | { raw: string }
  | { waitMs: number }
  /** Destroy the socket mid-stream. */
  | { cut: true }
  /** Keep the response open until the client goes away. */
  | { hang: true };

export type AnthropicScript =
  | { kind: "stream"; steps: SseStep[]; headersDelayMs?: number }
  | {
      kind: "error";
      status: number;
      errorType: string;
      message: string;
      headers?: Record<string, string>;
      headersDelayMs?: number;
    };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** When the response status line and headers were written. */
  respondedAt?: number;
  /** Resolves if the client closed the connection before the response ended. */
  clientClosed: Promise<void>;
}

export interface AnthropicTestServer {
  baseUrl: string;
  requests: RecordedRequest[];
  script(model: string, script: AnthropicScript): void;
  close(): Promise<void>;
}

let requestCounter = 0;

export async function startAnthropicServer(): Promise<AnthropicTestServer> {
  const scripts = new Map<string, AnthropicScript>();
  const requests: RecordedRequest[] = [];

  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    const recorded: RecordedRequest = {
      method: request.method ?? "",
      path: request.url ?? "",
      headers: request.headers,
      body,
      clientClosed: new Promise((resolve) => {
        response.once("close", () => {
          if (!response.writableFinished) resolve();
        });
      }),
    };
    requests.push(recorded);

    if (request.method !== "POST" || request.url !== "/v1/messages") {
      return sendError(response, recorded, 404, "not_found_error", "Not found");
    }
    const model = typeof body.model === "string" ? body.model : "";
    const script = scripts.get(model);
    if (!script) {
      return sendError(response, recorded, 404, "not_found_error", `model: ${model}`);
    }
    if (script.headersDelayMs) await delay(script.headersDelayMs);
    if (script.kind === "error") {
      return sendError(
        response,
        recorded,
        script.status,
        script.errorType,
        script.message,
        script.headers,
      );
    }
    await playStream(response, recorded, script.steps);
  });

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    script(model, script) {
      scripts.set(model, script);
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

async function playStream(response: ServerResponse, recorded: RecordedRequest, steps: SseStep[]) {
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "request-id": nextRequestId(),
  });
  recorded.respondedAt = Date.now();
  response.flushHeaders();
  for (const step of steps) {
    if (response.destroyed) return;
    if ("event" in step) {
      response.write(`event: ${step.event}\ndata: ${JSON.stringify(step.data)}\n\n`);
    } else if ("raw" in step) {
      response.write(step.raw);
    } else if ("waitMs" in step) {
      await delay(step.waitMs);
    } else if ("cut" in step) {
      // Let the bytes already written reach the client, then drop the socket.
      await delay(20);
      response.socket?.destroy();
      return;
    } else {
      if (!response.destroyed) await once(response, "close");
      return;
    }
  }
  response.end();
}

function sendError(
  response: ServerResponse,
  recorded: RecordedRequest,
  status: number,
  errorType: string,
  message: string,
  headers: Record<string, string> = {},
) {
  const requestId = nextRequestId();
  response.writeHead(status, {
    "content-type": "application/json",
    "request-id": requestId,
    ...headers,
  });
  recorded.respondedAt = Date.now();
  response.end(
    JSON.stringify({ type: "error", error: { type: errorType, message }, request_id: requestId }),
  );
}

function nextRequestId(): string {
  requestCounter += 1;
  return `req_test${String(requestCounter).padStart(6, "0")}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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
