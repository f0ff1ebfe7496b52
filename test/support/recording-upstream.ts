import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local OpenAI-style chat-completions server that records the key each
 * request came with (its Authorization header, without "Bearer "), refuses
 * the keys in `refused` with a 401 as OpenAI does, and streams a short answer
 * to the others. A request whose last message is "hold" gets its first chunk,
 * then waits until `release()` before it finishes: a stream still in flight.
 */
export interface RecordingUpstream {
  baseUrl: string;
  /** The key of each request, in the order they arrived (refused ones too). */
  readonly keys: string[];
  readonly refused: Set<string>;
  /** TCP connections opened to the server so far. */
  readonly connections: number;
  /** Resolves once `count` requests are held. */
  holding(count: number): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const keys: string[] = [];
  const refused = new Set<string>();
  let held: ServerResponse[] = [];
  let releaseHeld: () => void = () => {};
  let released = new Promise<void>((resolve) => {
    releaseHeld = resolve;
  });
  const waiting: { count: number; resolve: () => void }[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const key = String(request.headers.authorization ?? "").replace(/^Bearer /, "");
    keys.push(key);
    if (refused.has(key)) {
      response.writeHead(401, { "Content-Type": "application/json" });
      response.end(
        JSON.stringify({
          error: { message: "Incorrect API key provided", type: "invalid_request_error" },
        }),
      );
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
      messages: { content: string }[];
    };
    const hold = body.messages.at(-1)?.content === "hold";
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    const base = { id: "chatcmpl-rec", object: "chat.completion.chunk", created: 1 };
    const frame = (payload: object) =>
      `data: ${JSON.stringify({ ...base, model: "gpt-4o-mini", ...payload })}\n\n`;
    const content = (text: string) =>
      frame({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
    response.write(content("Hello "));
    if (hold) {
      held.push(response);
      for (const waiter of waiting.filter((entry) => held.length >= entry.count)) {
        waiter.resolve();
      }
      await released;
    }
    response.write(content("from upstream."));
    response.write(frame({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }));
    response.write(
      frame({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 } }),
    );
    response.end("data: [DONE]\n\n");
  });
  let connections = 0;
  server.on("connection", () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    keys,
    refused,
    get connections() {
      return connections;
    },
    holding: (count) =>
      held.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push({ count, resolve })),
    release: () => {
      releaseHeld();
      held = [];
      released = new Promise<void>((resolve) => {
        releaseHeld = resolve;
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        releaseHeld();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
