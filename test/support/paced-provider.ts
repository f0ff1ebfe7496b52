import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";

export interface PacedProvider {
  baseUrl: string;
  /** Resolves when the n-th request's connection closes, with whether the response was unfinished. */
  closed: Promise<boolean>[];
  close(): Promise<void>;
}

/**
 * A local OpenAI-style provider that streams `chunks` content chunks `everyMs`
 * apart, then goes silent with the socket open (a stall), or keeps streaming
 * for ever when `chunks` is Infinity. It records when each connection closed.
 */
export async function startPacedProvider(chunks: number, everyMs: number): Promise<PacedProvider> {
  const closed: Promise<boolean>[] = [];
  const server: Server = createServer(async (request, response) => {
    closed.push(
      new Promise((resolve) => response.once("close", () => resolve(!response.writableFinished))),
    );
    for await (const _ of request) {
      // The whole body first, as a provider does.
    }
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    const base = { id: "chatcmpl-paced", object: "chat.completion.chunk", created: 1 };
    for (let i = 0; i < chunks && !response.destroyed; i += 1) {
      const delta = { content: `word${i} ` };
      const chunk = { ...base, model: "gpt-4o-mini", choices: [{ index: 0, delta }] };
      response.write(`data: ${JSON.stringify(chunk)}\n\n`);
      await delay(everyMs);
    }
    // Then silence: headers sent, socket open, nothing more, as a stalled provider does.
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
