import { readFileSync } from "node:fs";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { type WireProvider, wireProfiles } from "./wire-profiles.ts";

/** Something that goes wrong once the stream has begun, after `afterEvents` lines. */
export type StreamFault =
  /** The socket is destroyed: no finish, no [DONE]. */
  | { type: "cut"; afterEvents: number }
  /** A data line that is not JSON. */
  | { type: "malformed"; afterEvents: number }
  /** The provider's error object as a data line, then the end. */
  | { type: "in-band-error"; afterEvents: number }
  /** The response ends cleanly, but early: no finish, no [DONE]. */
  | { type: "end-early"; afterEvents: number }
  /** Nothing more is sent until the client goes away. */
  | { type: "stall"; afterEvents: number };

/** What the server does with the next request. */
export type Script =
  | {
      kind: "stream";
      provider: WireProvider;
      /** A file in fixtures/, without `.sse`. */
      fixture: string;
      /** Slow first byte: wait this long before sending the headers. */
      headersDelayMs?: number;
      fault?: StreamFault;
      /** Write each line holding a multi-byte character in two writes, split inside it. */
      splitMultibyte?: boolean;
    }
  | {
      kind: "refuse";
      provider: WireProvider;
      status: number;
      message?: string;
      headers?: Record<string, string>;
    }
  /** The connection is destroyed before any response. */
  | { kind: "drop" };

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** Settles when the connection of this request closes; `beforeEnd` if the response was unfinished. */
  closed: Promise<{ beforeEnd: boolean }>;
}

export interface WireServer {
  /** The base URL to configure for a provider: `http://127.0.0.1:port/<its path>`. */
  baseUrl(provider: WireProvider): string;
  /** Queues what the next requests get, in order. */
  script(...scripts: Script[]): void;
  /** How many scripted responses are still queued. */
  pending(): number;
  readonly received: ReceivedRequest[];
  close(): Promise<void>;
}

/** The lines of a recorded stream: each is one SSE field line (`data: …` or `: comment`). */
export function loadFixture(name: string): string[] {
  const text = readFileSync(new URL(`./fixtures/${name}.sse`, import.meta.url), "utf8");
  return text.split("\n").filter((line) => line.length > 0);
}

const CHAT_PATH = "/chat/completions";

/**
 * A local server that speaks the OpenAI-compatible streaming wire format the
 * way each provider does (see wire-profiles.ts and fixtures/).
 */
export async function startWireServer(): Promise<WireServer> {
  const scripts: Script[] = [];
  const received: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = request.url ?? "/";
    const rawBody = await readBody(request);
    const closed = new Promise<{ beforeEnd: boolean }>((resolve) => {
      response.on("close", () => resolve({ beforeEnd: !response.writableEnded }));
    });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      return sendJson(response, 400, {}, { error: { message: "body is not JSON" } });
    }
    received.push({ method: request.method ?? "", path, headers: request.headers, body, closed });

    const prefix = path.endsWith(CHAT_PATH) ? path.slice(0, -CHAT_PATH.length) : undefined;
    if (request.method !== "POST" || prefix === undefined) {
      return sendJson(response, 404, {}, { error: { message: `no route for ${path}` } });
    }
    const script = scripts.shift();
    if (!script) {
      return sendJson(response, 500, {}, { error: { message: "no scripted response" } });
    }
    if (script.kind === "drop") {
      request.socket.destroy();
      return;
    }
    const profile = wireProfiles[script.provider];
    if (prefix !== profile.pathPrefix) {
      return sendJson(response, 404, {}, { error: { message: `no route for ${path}` } });
    }
    const idHeader: Record<string, string> = profile.requestId
      ? { [profile.requestId.header]: profile.requestId.value }
      : {};
    const refusal = profile.refuse?.(body);
    if (refusal) return sendJson(response, refusal.status, idHeader, refusal.body);
    if (script.kind === "refuse") {
      const message = script.message ?? `scripted ${script.status}`;
      return sendJson(
        response,
        script.status,
        { ...idHeader, ...script.headers },
        profile.errorBody(script.status, message),
      );
    }

    if (script.headersDelayMs) await delay(script.headersDelayMs);
    if (response.destroyed) return;
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      ...idHeader,
    });
    response.flushHeaders();

    const lines = loadFixture(script.fixture);
    const fault = script.fault;
    const faultAt = fault ? Math.min(fault.afterEvents, lines.length) : lines.length;
    for (const line of lines.slice(0, faultAt)) {
      if (response.destroyed) return;
      await writeEvent(response, line, script.splitMultibyte === true);
    }
    if (fault) await applyFault(fault, response, JSON.stringify(profile.inBandError), closed);
    else response.end();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: (provider) => `http://127.0.0.1:${port}${wireProfiles[provider].pathPrefix}`,
    pending: () => scripts.length,
    script: (...more) => {
      scripts.push(...more);
    },
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function applyFault(
  fault: StreamFault,
  response: ServerResponse,
  inBandError: string,
  closed: Promise<unknown>,
): Promise<void> {
  switch (fault.type) {
    case "cut":
      response.socket?.destroy();
      return;
    case "malformed":
      await write(response, 'data: {"id":"chatcmpl-x","choices":[{"delta":{"content":"tru\n\n');
      response.end();
      return;
    case "in-band-error":
      await write(response, `data: ${inBandError}\n\n`);
      response.end();
      return;
    case "end-early":
      response.end();
      return;
    case "stall":
      await closed;
      return;
  }
}

/** One SSE event: the line, then the blank line that ends it. */
async function writeEvent(response: ServerResponse, line: string, split: boolean): Promise<void> {
  const bytes = Buffer.from(`${line}\n\n`, "utf8");
  // A UTF-8 lead byte of a multi-byte character is 0b11xxxxxx.
  const lead = split ? bytes.findIndex((byte) => byte >= 0xc0) : -1;
  if (lead < 0) {
    await write(response, bytes);
    return;
  }
  await write(response, bytes.subarray(0, lead + 1));
  // Let the first half leave as its own TCP segment before the rest follows.
  await delay(15);
  await write(response, bytes.subarray(lead + 1));
}

function write(response: ServerResponse, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (response.destroyed) return resolve();
    response.write(data, () => resolve());
  });
}

function sendJson(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return Buffer.concat(parts).toString("utf8");
}
