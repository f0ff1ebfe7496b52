import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { EventStreamCodec, type MessageHeaders } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";

/**
 * A local HTTP/1.1 server that speaks Bedrock's ConverseStream wire format:
 * `POST /model/{modelId}/converse-stream` answering
 * `application/vnd.amazon.eventstream` frames (encoded by the real codec, so
 * prelude and message CRCs are right), or a restJson1 error before the stream.
 * What it answers is scripted per model id.
 */

export type FrameStep =
  /** An event frame: `:message-type: event`, `:event-type: <event>`, JSON payload. */
  | { event: string; payload: Record<string, unknown> }
  /** An exception frame: `:message-type: exception`, `:exception-type: <exception>`. */
  | { exception: string; message: string }
  /** An event frame with one payload byte flipped: its message CRC no longer matches. */
  | { corrupt: { event: string; payload: Record<string, unknown> } }
  | { waitMs: number }
  /** Destroy the socket mid-stream. */
  | { cut: true }
  /** Keep the response open until the client goes away. */
  | { hang: true };

export type BedrockScript =
  | { kind: "stream"; steps: FrameStep[]; headersDelayMs?: number }
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
  /** The raw request path, as it came over the wire. */
  path: string;
  /** The model id decoded from the path. */
  modelId: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  respondedAt?: number;
  /** Resolves if the client closed the connection before the response ended. */
  clientClosed: Promise<void>;
}

export interface BedrockTestServer {
  endpoint: string;
  requests: RecordedRequest[];
  script(modelId: string, script: BedrockScript): void;
  close(): Promise<void>;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const CONVERSE_STREAM_PATH = /^\/model\/([^/]+)\/converse-stream$/;

export async function startBedrockServer(): Promise<BedrockTestServer> {
  const scripts = new Map<string, BedrockScript>();
  const requests: RecordedRequest[] = [];

  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const path = request.url ?? "";
    const match = CONVERSE_STREAM_PATH.exec(path);
    const modelId = match?.[1] ? decodeURIComponent(match[1]) : "";
    const recorded: RecordedRequest = {
      method: request.method ?? "",
      path,
      modelId,
      headers: request.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      clientClosed: new Promise((resolve) => {
        response.once("close", () => {
          if (!response.writableFinished) resolve();
        });
      }),
    };
    requests.push(recorded);

    const script = request.method === "POST" ? scripts.get(modelId) : undefined;
    if (!script) {
      return sendError(response, recorded, 404, "ResourceNotFoundException", "Model not found");
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
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    script(modelId, script) {
      scripts.set(modelId, script);
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

async function playStream(response: ServerResponse, recorded: RecordedRequest, steps: FrameStep[]) {
  response.writeHead(200, {
    "content-type": "application/vnd.amazon.eventstream",
    "x-amzn-requestid": randomUUID(),
  });
  recorded.respondedAt = Date.now();
  response.flushHeaders();
  for (const step of steps) {
    if (response.destroyed) return;
    if ("event" in step) {
      response.write(eventFrame(step.event, step.payload));
    } else if ("exception" in step) {
      response.write(exceptionFrame(step.exception, step.message));
    } else if ("corrupt" in step) {
      const frame = eventFrame(step.corrupt.event, step.corrupt.payload);
      // Flip one byte of the payload (just before the trailing message CRC).
      const index = frame.length - 6;
      frame[index] = (frame[index] ?? 0) ^ 0xff;
      response.write(frame);
    } else if ("waitMs" in step) {
      await delay(step.waitMs);
    } else if ("cut" in step) {
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

function eventFrame(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return encode(
    {
      ":event-type": { type: "string", value: eventType },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    // Real Bedrock pads every event with a random "p" field.
    {
      ...payload,
      p: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL".slice(0, 5 + (eventType.length % 20)),
    },
  );
}

function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return encode(
    {
      ":exception-type": { type: "string", value: exceptionType },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "exception" },
    },
    { message },
  );
}

function encode(headers: MessageHeaders, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) });
}

function sendError(
  response: ServerResponse,
  recorded: RecordedRequest,
  status: number,
  errorType: string,
  message: string,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, {
    "content-type": "application/json",
    "x-amzn-requestid": randomUUID(),
    "x-amzn-errortype": `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    ...headers,
  });
  recorded.respondedAt = Date.now();
  response.end(JSON.stringify({ message }));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Builders for the events of a real ConverseStream response.

export const messageStart: FrameStep = { event: "messageStart", payload: { role: "assistant" } };

export function textDeltas(index: number, pieces: string[]): FrameStep[] {
  return [
    ...pieces.map(
      (text): FrameStep => ({
        event: "contentBlockDelta",
        payload: { contentBlockIndex: index, delta: { text } },
      }),
    ),
    { event: "contentBlockStop", payload: { contentBlockIndex: index } },
  ];
}

export function messageStop(stopReason: string): FrameStep {
  return { event: "messageStop", payload: { stopReason } };
}

export function metadata(usage: Record<string, number>, latencyMs = 321): FrameStep {
  return { event: "metadata", payload: { usage, metrics: { latencyMs } } };
}
