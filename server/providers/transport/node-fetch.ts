import http from "node:http";
import https from "node:https";
import { pipeline, Readable } from "node:stream";
import zlib from "node:zlib";

export interface NodeFetchOptions {
  /** Extra TLS options for the https agent (tests pass a private CA here). */
  tls?: https.AgentOptions;
}

/** Error bodies are read whole (the SDK parses them); past this they are cut. */
const MAX_ERROR_BODY_BYTES = 1 << 20;

/**
 * A `fetch` for the provider SDKs, over `node:http`/`node:https` with
 * keep-alive agents, for the calls where the gateway reads the answer itself.
 *
 * A 2xx answer comes back as a StreamedResponse: a real Response whose body
 * stays a Node stream (`response.stream`) until someone asks for `body`, so
 * the streaming hot path reads sockets without WHATWG streams in between.
 * Other answers are read whole (at most 1 MiB) into a plain Response, for the
 * SDK's error handling. What this does not handle (a body that is not a
 * string or bytes, a `Request` object, a scheme other than http/https) goes to
 * the global `fetch`. Redirects are not followed: providers' APIs do not
 * redirect, and a 3xx reaches the SDK as a failed call.
 */
export function createNodeFetch(options: NodeFetchOptions = {}): typeof fetch {
  // Idle pooled sockets close after 4 s (as undici's do), sooner when the
  // server's Keep-Alive header asks; a busy socket is never timed out here.
  const agentOptions = { keepAlive: true, scheduling: "lifo" as const, timeout: 4_000 };
  const agents = {
    "http:": new http.Agent(agentOptions),
    "https:": new https.Agent({ ...agentOptions, ...options.tls }),
  };

  // async: whatever throws (a bad header value) rejects, as with fetch.
  return async function nodeFetch(input, init = {}) {
    const url = typeof input === "string" ? URL.parse(input) : input instanceof URL ? input : null;
    if (url === null && typeof input === "string") {
      throw new TypeError(`fetch failed: invalid URL ${input}`);
    }
    const payload = toPayload(init.body);
    if (
      url === null ||
      payload === null ||
      (url.protocol !== "http:" && url.protocol !== "https:")
    ) {
      return fetch(input, init);
    }
    const headers = toHeaderRecord(init.headers);
    if (payload !== undefined) headers["content-length"] = String(payload.byteLength);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw abortReason(signal);

    const agent = agents[url.protocol as "http:" | "https:"];
    const exchange = { url, method: init.method ?? "GET", headers, payload, agent, signal };
    try {
      return await send(exchange);
    } catch (error) {
      // A kept-alive socket the server closed while it sat in the pool: the
      // request never reached the server, so it is sent once more, on a new one.
      if (!(error instanceof StaleSocket)) throw error;
      return send(exchange);
    }
  };
}

interface Exchange {
  url: URL;
  method: string;
  headers: Record<string, string>;
  payload: Buffer | undefined;
  agent: http.Agent;
  signal: AbortSignal | undefined;
}

class StaleSocket extends Error {}

function send({ url, method, headers, payload, agent, signal }: Exchange): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const request = client.request({
      protocol: url.protocol,
      hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      method,
      // As a flat list, Node writes the headers as they are, without
      // re-validating each one (they went through Headers); Host is then ours to set.
      headers: flatHeaders(url, headers),
      agent,
    });
    let answered = false;
    const onAbort = () => request.destroy(abortReason(signal));
    signal?.addEventListener("abort", onAbort, { once: true });
    const stopListening = () => signal?.removeEventListener("abort", onAbort);

    // Kept for the request's whole life: a later socket error (the answer
    // cut mid-way) also surfaces here, and an unheard 'error' would crash.
    request.on("error", (error: NodeJS.ErrnoException) => {
      if (answered) return;
      stopListening();
      if (signal?.aborted) {
        reject(abortReason(signal));
      } else if (request.reusedSocket && (error.code === "ECONNRESET" || error.code === "EPIPE")) {
        reject(new StaleSocket("the kept-alive socket was closed", { cause: error }));
      } else {
        reject(new TypeError("fetch failed", { cause: error }));
      }
    });
    request.on("response", (incoming) => {
      answered = true;
      incoming.once("close", stopListening);
      const status = incoming.statusCode ?? 0;
      const statusText = reasonPhrase(incoming.statusMessage);
      const responseHeaders = toHeaders(incoming.rawHeaders);
      const stream = decoded(incoming);
      if (status >= 200 && status < 300) {
        let response: StreamedResponse;
        try {
          response = new StreamedResponse(url.href, status, statusText, responseHeaders, stream);
        } catch (error) {
          incoming.destroy();
          reject(new TypeError("fetch failed", { cause: error }));
          return;
        }
        resolve(response);
        return;
      }
      // A refusal keeps its status whatever happens to its body: what arrived is kept.
      readErrorBody(stream, MAX_ERROR_BODY_BYTES)
        .then((bytes) => plainResponse(status, statusText, responseHeaders, bytes))
        .then(resolve, reject);
    });
    request.end(payload);
  });
}

/**
 * A 2xx answer whose body is still a Node stream. `stream` is for readers
 * that take Node streams; `body`, `text()`, `json()` and `arrayBuffer()`
 * work as on any Response, and any one of them consumes the stream.
 */
export class StreamedResponse extends Response {
  readonly stream: Readable;
  readonly #url: string;
  #body: ReadableStream<Uint8Array<ArrayBuffer>> | undefined;

  constructor(url: string, status: number, statusText: string, headers: Headers, stream: Readable) {
    super(null, { status, statusText, headers });
    this.#url = url;
    this.stream = stream;
  }

  override get url(): string {
    return this.#url;
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#body ??= Readable.toWeb(this.stream) as ReadableStream<Uint8Array<ArrayBuffer>>;
    return this.#body;
  }

  override get bodyUsed(): boolean {
    return this.stream.readableDidRead || this.stream.destroyed;
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await readAll(this.stream);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  override async text(): Promise<string> {
    return (await readAll(this.stream)).toString("utf8");
  }

  override async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  override async blob(): Promise<Blob> {
    return new Blob([await this.arrayBuffer()], {
      type: this.headers.get("content-type") ?? "",
    });
  }

  /** One Node stream cannot be read twice. */
  override clone(): Response {
    throw new TypeError("a streamed response cannot be cloned");
  }
}

/** The body as bytes, or null when it is a kind this fetch leaves to the global one. */
function toPayload(body: RequestInit["body"]): Buffer | undefined | null {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return null;
}

/**
 * Header names lower-cased, repeated ones joined. Anything but a Headers goes
 * through one, which checks names and values (no CR/LF smuggled into a request).
 */
function toHeaderRecord(headers: RequestInit["headers"]): Record<string, string> {
  const record: Record<string, string> = {};
  if (headers === undefined) return record;
  for (const [name, value] of headers instanceof Headers ? headers : new Headers(headers)) {
    record[name] = value;
  }
  return record;
}

function flatHeaders(url: URL, headers: Record<string, string>): string[] {
  const flat = "host" in headers ? [] : ["host", url.host];
  for (const name in headers) flat.push(name, headers[name] as string);
  return flat;
}

function toHeaders(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    headers.append(raw[i] as string, raw[i + 1] as string);
  }
  return headers;
}

/** Undoes a content-encoding the server applied although none was asked for. */
function decoded(incoming: http.IncomingMessage): Readable {
  if (incoming.headers["content-length"] === "0") return incoming;
  const encoding = incoming.headers["content-encoding"]?.trim().toLowerCase();
  const decoder =
    encoding === "gzip" || encoding === "x-gzip"
      ? zlib.createGunzip()
      : encoding === "deflate"
        ? zlib.createInflate()
        : encoding === "br"
          ? zlib.createBrotliDecompress()
          : undefined;
  if (!decoder) return incoming;
  return pipeline(incoming, decoder, () => {});
}

/** The whole body; rejects as fetch does when the stream breaks. */
function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on("data", (part: Buffer) => parts.push(part));
    stream.once("end", () => resolve(Buffer.concat(parts)));
    stream.once("error", (error) => reject(new TypeError("fetch failed", { cause: error })));
  });
}

/**
 * An error answer's body, at most `limit` bytes (the rest is not read). Never
 * fails: a body cut off, undecodable or aborted gives what arrived before.
 */
function readErrorBody(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    const done = () => resolve(Buffer.concat(parts).subarray(0, limit));
    stream.on("data", (part: Buffer) => {
      parts.push(part);
      size += part.length;
      if (size >= limit) {
        stream.destroy();
        done();
      }
    });
    stream.once("end", done);
    stream.once("error", done);
    stream.once("close", done);
  });
}

function plainResponse(
  status: number,
  statusText: string,
  headers: Headers,
  bytes: Buffer,
): Response {
  const nullBody = status === 204 || status === 205 || status === 304;
  // The Response constructor refuses statuses outside 200–599.
  const safeStatus = status >= 200 && status <= 599 ? status : 502;
  return new Response(nullBody ? null : new Uint8Array(bytes), {
    status: safeStatus,
    statusText,
    headers,
  });
}

/** The reason phrase, when the Response constructor would accept it (Node's parser is laxer). */
function reasonPhrase(message: string | undefined): string {
  return message !== undefined && /^[\t\x20-\x7e\x80-\xff]*$/.test(message) ? message : "";
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException("This operation was aborted", "AbortError");
}
