import { randomUUID } from "node:crypto";
import { EventStreamCodec, type MessageHeaders } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import {
  type ScriptedServer,
  startScriptedServer,
  type WireFormat,
} from "../support/scripted-server.ts";

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
  | { corrupt: { event: string; payload: Record<string, unknown> } };

export type BedrockTestServer = ScriptedServer<FrameStep>;

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const CONVERSE_STREAM_PATH = /^\/model\/([^/]+)\/converse-stream$/;

const converseStreamFormat: WireFormat<FrameStep> = {
  serves: (method, path) => method === "POST" && CONVERSE_STREAM_PATH.test(path),
  modelOf(path) {
    const match = CONVERSE_STREAM_PATH.exec(path);
    return match?.[1] ? decodeURIComponent(match[1]) : "";
  },
  notFoundType: "ResourceNotFoundException",
  streamHeaders: () => ({
    "content-type": "application/vnd.amazon.eventstream",
    "x-amzn-requestid": randomUUID(),
  }),
  encode(step) {
    if ("event" in step) return eventFrame(step.event, step.payload);
    if ("exception" in step) return exceptionFrame(step.exception, step.message);
    const frame = eventFrame(step.corrupt.event, step.corrupt.payload);
    // Flip one byte of the payload (just before the trailing message CRC).
    const index = frame.length - 6;
    frame[index] = (frame[index] ?? 0) ^ 0xff;
    return frame;
  },
  errorEnvelope: ({ errorType, message }) => ({
    headers: {
      "content-type": "application/json",
      "x-amzn-requestid": randomUUID(),
      "x-amzn-errortype": `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    },
    body: JSON.stringify({ message }),
  }),
};

export function startBedrockServer(): Promise<BedrockTestServer> {
  return startScriptedServer(converseStreamFormat);
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
