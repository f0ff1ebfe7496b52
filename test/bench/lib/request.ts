import { type Agent, request } from "node:http";

/** A plain (non-streamed) HTTP exchange, timed from just before sending to the last byte. */
export interface TimedAnswer {
  /** undefined when the answer was a 200 with the expected body. */
  failure: string | undefined;
  /** Request start to the end of the response, ms. */
  totalMs: number;
  status: number;
  body: string;
}

export interface PlainRequest {
  host: string;
  port: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  agent?: Agent;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Sends one request and reads the whole answer (bounded by a timeout). */
export function timedRequest(options: PlainRequest): Promise<TimedAnswer> {
  const body = options.body ?? "";
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    let status = 0;
    let text = "";
    const startedAt = performance.now();
    const settle = (failure: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ failure, totalMs: performance.now() - startedAt, status, body: text });
    };
    const deadline = setTimeout(() => {
      settle(`timeout after ${timeoutMs} ms`);
      req.destroy();
    }, timeoutMs);
    const req = request(
      {
        host: options.host,
        port: options.port,
        method: options.method ?? (body ? "POST" : "GET"),
        path: options.path,
        headers: body
          ? { ...options.headers, "Content-Length": Buffer.byteLength(body) }
          : options.headers,
        agent: options.agent,
      },
      (res) => {
        status = res.statusCode ?? 0;
        res.setEncoding("utf8");
        res.on("data", (part: string) => {
          text += part;
        });
        res.on("end", () =>
          settle(status === 200 ? undefined : `HTTP ${status}: ${text.slice(0, 300)}`),
        );
        res.on("error", (error: NodeJS.ErrnoException) =>
          settle(`response broke: ${error.code ?? error.message}`),
        );
        res.on("close", () => settle("connection closed before the end of the answer"));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) =>
      settle(`request failed: ${error.code ?? error.message}`),
    );
    req.end(body);
  });
}

export interface JsonAnswer<T> {
  body: T;
  totalMs: number;
}

/** GET (or POST) and parse a JSON answer; rejects on any failure. */
export async function requestJson<T>(options: PlainRequest): Promise<JsonAnswer<T>> {
  const answer = await timedRequest(options);
  if (answer.failure) {
    throw new Error(`${options.method ?? "GET"} ${options.path}: ${answer.failure}`);
  }
  try {
    return { body: JSON.parse(answer.body) as T, totalMs: answer.totalMs };
  } catch {
    throw new Error(
      `${options.path} answered something other than JSON: ${answer.body.slice(0, 200)}`,
    );
  }
}
