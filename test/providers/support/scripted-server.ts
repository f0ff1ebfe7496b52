import { once } from "node:events";
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { type SeenRequest, startServer } from "../transport/local-server.ts";

/**
 * What the Anthropic and Bedrock test servers share: a real server on
 * 127.0.0.1 that records each request and answers it with what is scripted
 * for its model (an error envelope, or a stream of steps, either after a slow
 * first byte). The provider's `WireFormat` says how that looks on the wire.
 */

/** A stream step every wire format understands. */
export type FaultStep =
  | { waitMs: number }
  /** Destroy the socket mid-stream. */
  | { cut: true }
  /** Keep the response open until the client goes away. */
  | { hang: true };

/** An error envelope before the stream, as the provider would send it. */
export interface Refusal {
  status: number;
  errorType: string;
  message: string;
  headers?: Record<string, string>;
}

/** What the server answers a model with, after `headersDelayMs` if set. */
export type Script<Step> =
  | { kind: "stream"; steps: (Step | FaultStep)[]; headersDelayMs?: number }
  | ({ kind: "error"; headersDelayMs?: number } & Refusal);

/** A request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** The raw request path, as it came over the wire. */
  path: string;
  /** The model asked for, read by the wire format from the path or the body. */
  model: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** When the response status line and headers were written. */
  respondedAt?: number;
  /** Settles when the response closes; `beforeEnd` if it closed unfinished. */
  closed: SeenRequest["closed"];
}

/** How one provider puts requests and answers on the wire. */
export interface WireFormat<Step> {
  /** Whether a method and path are the provider's streaming route. */
  serves(method: string, path: string): boolean;
  /** The model a request asks for ("" when it names none). */
  modelOf(path: string, body: Record<string, unknown>): string;
  /** The error type of the 404 for an unknown route or an unscripted model. */
  notFoundType: string;
  /** The headers of a 200 stream (a fresh request id each time). */
  streamHeaders(): OutgoingHttpHeaders;
  /** The bytes of one of the provider's own steps. */
  encode(step: Step): string | Uint8Array;
  /** The headers and body of an error envelope. */
  errorEnvelope(refusal: Refusal): { headers: OutgoingHttpHeaders; body: string };
}

/** A running scripted server. */
export interface ScriptedServer<Step> {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  requests: RecordedRequest[];
  /** The requests that asked for `model`. */
  requestsFor(model: string): RecordedRequest[];
  script(model: string, script: Script<Step>): void;
  close(): Promise<void>;
}

/** Starts a server on port 0 that answers in `format` what is scripted per model. */
export async function startScriptedServer<Step extends object>(
  format: WireFormat<Step>,
): Promise<ScriptedServer<Step>> {
  const scripts = new Map<string, Script<Step>>();
  const requests: RecordedRequest[] = [];

  const local = await startServer(async (_request, response, seen) => {
    const text = seen.body.toString("utf8");
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const recorded: RecordedRequest = {
      method: seen.method,
      path: seen.url,
      model: format.modelOf(seen.url, body),
      headers: seen.headers,
      body,
      closed: seen.closed,
    };
    requests.push(recorded);

    const served = format.serves(seen.method, seen.url);
    const script = served ? scripts.get(recorded.model) : undefined;
    if (!script) {
      const message = served ? `no script for model ${recorded.model}` : "Not found";
      return sendError(response, recorded, format, {
        status: 404,
        errorType: format.notFoundType,
        message,
      });
    }
    if (script.headersDelayMs) await delay(script.headersDelayMs);
    if (script.kind === "error") return sendError(response, recorded, format, script);
    await playStream(response, recorded, format, script.steps);
  });

  return {
    url: local.url(""),
    requests,
    requestsFor: (model) => requests.filter((request) => request.model === model),
    script(model, script) {
      scripts.set(model, script);
    },
    close: () => local.close(),
  };
}

async function playStream<Step extends object>(
  response: ServerResponse,
  recorded: RecordedRequest,
  format: WireFormat<Step>,
  steps: (Step | FaultStep)[],
) {
  response.writeHead(200, format.streamHeaders());
  recorded.respondedAt = Date.now();
  response.flushHeaders();
  for (const step of steps) {
    if (response.destroyed) return;
    if (!isFaultStep(step)) {
      response.write(format.encode(step));
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

function isFaultStep(step: object): step is FaultStep {
  return "waitMs" in step || "cut" in step || "hang" in step;
}

function sendError<Step>(
  response: ServerResponse,
  recorded: RecordedRequest,
  format: WireFormat<Step>,
  refusal: Refusal,
) {
  const envelope = format.errorEnvelope(refusal);
  response.writeHead(refusal.status, { ...envelope.headers, ...refusal.headers });
  recorded.respondedAt = Date.now();
  response.end(envelope.body);
}
