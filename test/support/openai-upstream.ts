import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface UpstreamStream {
  /** Text of each content chunk, in order. */
  chunks: string[];
  usage: { prompt_tokens: number; completion_tokens: number };
}

export interface SimpleUpstream {
  baseUrl: string;
  /** How many content chunks the server has written so far (all streams). */
  readonly written: number;
  close(): Promise<void>;
}

/**
 * A minimal OpenAI-style chat-completions server that streams the given
 * chunks as fast as the connection takes them, honouring backpressure (it
 * waits for 'drain'), then a finish chunk, a usage chunk and [DONE].
 */
export async function startSimpleUpstream(stream: UpstreamStream): Promise<SimpleUpstream> {
  let written = 0;
  const server = createServer(async (request, response) => {
    for await (const _ of request) {
      // Read the body to the end before answering.
    }
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    const frame = (payload: object) => `data: ${JSON.stringify(payload)}\n\n`;
    const base = {
      id: "chatcmpl-test",
      object: "chat.completion.chunk",
      created: 1,
      model: "gpt-4o-mini",
    };
    for (const text of stream.chunks) {
      if (response.destroyed) return;
      const more = response.write(
        frame({ ...base, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] }),
      );
      written += 1;
      if (!more) await drained(response);
    }
    response.write(frame({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }));
    response.write(
      frame({
        ...base,
        choices: [],
        usage: {
          ...stream.usage,
          total_tokens: stream.usage.prompt_tokens + stream.usage.completion_tokens,
        },
      }),
    );
    response.end("data: [DONE]\n\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get written() {
      return written;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.on("drain", done);
    response.on("close", done);
  });
}
