/**
 * The local upstream (its own process): an OpenAI chat-completions endpoint that
 * streams at a fixed cadence. Each stream reads its cadence from the user message
 * (see lib/spec.ts) and sends, in OpenAI's SSE format:
 *   a role chunk, `chunks` content chunks (`interval` ms apart, the first after
 *   `first` ms), a finish chunk, a usage chunk when `stream_options.include_usage`
 *   is set, then `data: [DONE]`.
 * Chunks are scheduled against the stream's start time, so a late timer does not
 * push the later chunks back. GET /_bench/stats returns (and resets) this
 * process's event-loop delay, to show whether the upstream kept its cadence.
 *
 * Usage: node --import tsx test/bench/upstream/server.ts   (prints "listening <port>")
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { lagMonitor } from "../lib/lag.ts";
import { chunkText, parseSpecMessage, type StreamSpec, wallNow } from "../lib/spec.ts";

const MAX_BODY = 1_000_000;
const PROMPT_TOKENS = 12;

const lag = lagMonitor();
lag.start();
let active = 0;
let served = 0;

const server = createServer({ noDelay: true }, (req, res) => {
  if (req.method === "GET") {
    if (req.url === "/_bench/stats") {
      sendJson(res, 200, stats());
      return;
    }
    sendJson(res, 200, { ok: true });
    return;
  }
  if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
    sendJson(res, 404, { error: { message: `no route for ${req.method} ${req.url}` } });
    return;
  }
  readBody(req)
    .then((body) => stream(body, res))
    .catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent)
        sendJson(res, 400, { error: { message, type: "invalid_request_error" } });
      else res.destroy();
    });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.requestTimeout = 0;
server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`listening ${port}\n`);
});
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});

interface ChatBody {
  model?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown };
  messages?: Array<{ role?: unknown; content?: unknown }>;
}

function stream(body: ChatBody, res: ServerResponse): void {
  if (body.stream !== true) throw new Error("this upstream only streams: send stream: true");
  const last = body.messages?.findLast((message) => message.role === "user");
  const spec = typeof last?.content === "string" ? parseSpecMessage(last.content) : undefined;
  if (!spec)
    throw new Error('the last user message must hold "bench chunks=N interval=MS first=MS"');
  const includeUsage = body.stream_options?.include_usage === true;
  const model = typeof body.model === "string" ? body.model : "gpt-4o-mini";
  served += 1;
  const frames = frameWriter(`chatcmpl-bench${served}`, model, includeUsage);

  res.writeHead(200, {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    Connection: "keep-alive",
  });
  res.write(frames.role());
  active += 1;
  const startedAt = performance.now();
  let index = 0;
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    active -= 1;
    if (timer) clearTimeout(timer);
  };
  res.once("close", finish);

  const tick = () => {
    if (done) return;
    res.write(frames.content(chunkText(index, wallNow())));
    index += 1;
    if (index < spec.chunks) {
      schedule();
      return;
    }
    res.end(frames.end(spec));
    finish();
  };
  const schedule = () => {
    const due = startedAt + spec.firstMs + index * spec.intervalMs;
    timer = setTimeout(tick, Math.max(0, due - performance.now()));
  };
  if (spec.chunks === 0) {
    res.end(frames.end(spec));
    finish();
  } else if (spec.firstMs === 0) {
    tick();
  } else {
    schedule();
  }
}

/** Builds the SSE frames of one stream by concatenation (cheap: the upstream must keep pace). */
function frameWriter(id: string, model: string, includeUsage: boolean) {
  const head = `data: {"id":"${id}","object":"chat.completion.chunk","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(model)},"system_fingerprint":"fp_bench","choices":[`;
  const tail = includeUsage ? `,"usage":null}\n\n` : "}\n\n";
  return {
    role: () =>
      `${head}{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]${tail}`,
    content: (text: string) =>
      `${head}{"index":0,"delta":{"content":"${text}"},"logprobs":null,"finish_reason":null}]${tail}`,
    end: (spec: StreamSpec) => {
      let out = `${head}{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]${tail}`;
      if (includeUsage) {
        const usage = {
          prompt_tokens: PROMPT_TOKENS,
          completion_tokens: spec.chunks,
          total_tokens: PROMPT_TOKENS + spec.chunks,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
        };
        out += `${head}],"usage":${JSON.stringify(usage)}}\n\n`;
      }
      return `${out}data: [DONE]\n\n`;
    },
  };
}

function readBody(req: IncomingMessage): Promise<ChatBody> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (part: Buffer) => {
      size += part.length;
      if (size > MAX_BODY) req.destroy(new Error("body too large"));
      else parts.push(part);
    });
    req.on("error", reject);
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString("utf8")) as ChatBody);
      } catch (error) {
        reject(error);
      }
    });
  });
}

function stats() {
  const result = { lag: lag.read(), active, served };
  lag.start();
  return result;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}
