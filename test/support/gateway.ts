import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { loadConfig } from "../../server/config.ts";
import { signedHeaders } from "../../server/http/signature.ts";
import { type RunningGateway, startGateway } from "../../server/serve.ts";

export interface TestGateway extends RunningGateway {
  siteId: string;
  secret: string;
  dir: string;
  /** A signed request to the gateway. */
  request(path: string, init?: SignedInit): Promise<Response>;
  stop(): Promise<void>;
}

export interface SignedInit {
  method?: string;
  body?: string | object;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Override parts of the signature (for negative tests). */
  sign?: { secret?: string; now?: number; nonce?: string; siteId?: string };
}

/** Starts a real gateway on a free port with a temp SQLite file and one registered site. */
export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-test-"));
  const config = loadConfig({
    SLUICE_PORT: "0",
    SLUICE_DATA_DIR: dir,
    SLUICE_DEMO_DELAY_MS: "1",
    SLUICE_LOG_LEVEL: "silent",
    ...env,
  });
  const gateway = await startGateway(config);
  const siteId = "test-site";
  const secret = gateway.services.sites.add(siteId);

  const request = (path: string, init: SignedInit = {}) => {
    const method = init.method ?? (init.body === undefined ? "GET" : "POST");
    const body =
      init.body === undefined
        ? ""
        : typeof init.body === "string"
          ? init.body
          : JSON.stringify(init.body);
    const headers = {
      "Content-Type": "application/json",
      ...signedHeaders({
        siteId: init.sign?.siteId ?? siteId,
        secret: init.sign?.secret ?? secret,
        method,
        path,
        body,
        ...(init.sign?.now === undefined ? {} : { now: init.sign.now }),
        ...(init.sign?.nonce === undefined ? {} : { nonce: init.sign.nonce }),
      }),
      ...init.headers,
    };
    return fetch(`${gateway.url}${path}`, {
      method,
      headers,
      ...(method === "GET" ? {} : { body }),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  };

  return {
    ...gateway,
    siteId,
    secret,
    dir,
    request,
    stop: async () => {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ParsedEvent {
  event: string | undefined;
  data: string;
  json: Record<string, unknown> | undefined;
}

/** Reads a whole SSE response into events (with eventsource-parser, as a client would). */
export async function readEvents(response: Response): Promise<ParsedEvent[]> {
  const events: ParsedEvent[] = [];
  await forEachMessage(response, (message) => events.push(toParsed(message)));
  return events;
}

/** Reads an SSE response to its end, handing over each message as it arrives. */
export async function forEachMessage(
  response: Response,
  onMessage: (message: EventSourceMessage) => void,
): Promise<void> {
  const parser = createParser({ onEvent: onMessage });
  const decoder = new TextDecoder();
  if (!response.body) return;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    parser.feed(decoder.decode(value, { stream: true }));
  }
}

export function toParsed(message: EventSourceMessage): ParsedEvent {
  let json: Record<string, unknown> | undefined;
  if (message.data !== "[DONE]") json = JSON.parse(message.data) as Record<string, unknown>;
  return { event: message.event, data: message.data, json };
}

export function chatBody(text = "Hello there", extra: Record<string, unknown> = {}) {
  return { messages: [{ role: "user", content: text }], model: "demo/sluice-demo", ...extra };
}
