import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
} from "node:http";
import type { AddressInfo } from "node:net";
import { createBrotliCompress } from "node:zlib";

/** One request that went through the proxy. */
export interface ProxyLogEntry {
  method: string;
  path: string;
  /** The request body as text (POST bodies: the chat route's JSON). */
  requestBody: string;
  status: number;
  contentType: string;
  /** Bytes of the response body sent to the browser (in one piece). */
  bytes: number;
  /** How long the upstream response took to arrive in full, in ms. */
  upstreamMs: number;
}

/**
 * How the proxy breaks streams:
 * - "buffer": every response is read whole before any of it is sent (a buffering nginx
 *   location, a CDN that caches first);
 * - "brotli": streams (`text/event-stream`) are compressed with brotli on the way, and
 *   only what the compressor emits is sent, with no flush per event, the way a CDN's
 *   compression holds an SSE stream back until its buffer fills or the stream ends.
 *   Other responses are handled as by "buffer".
 */
export type ProxyKind = "buffer" | "brotli";

export interface BufferingProxy {
  /** The proxy's origin, e.g. http://127.0.0.1:41234: open WordPress pages through it. */
  url: string;
  log: ProxyLogEntry[];
  close(): Promise<void>;
}

/** Response types whose absolute URLs are rewritten to the proxy's origin. */
const REWRITTEN = /text\/html|application\/json|javascript|text\/css|xml/;

/** Headers that describe one hop, not the message: never copied across the proxy. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "content-length",
]);

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

/**
 * A reverse proxy in front of WordPress that breaks streams as `kind` says, like a badly
 * configured nginx or CDN. As a reverse proxy for another origin it also rewrites
 * WordPress's absolute URLs (in pages, JSON and Location) from the upstream origin to
 * its own, so the browser stays behind it, REST calls included.
 */
export async function startBufferingProxy(
  upstream: string,
  kind: ProxyKind = "buffer",
): Promise<BufferingProxy> {
  const target = new URL(upstream);
  const log: ProxyLogEntry[] = [];
  let ownOrigin = "";

  const server: Server = createServer((request, response) => {
    void (async () => {
      const started = performance.now();
      const body = await readAll(request);
      const headers = endToEnd(request.headers);
      headers.host = target.host;
      // Plain bodies, so that the rewrite below sees the text.
      headers["accept-encoding"] = "identity";
      if (body.length > 0) headers["content-length"] = String(body.length);

      const upstreamResponse = await new Promise<IncomingMessage>((resolve, reject) => {
        const outgoing = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: request.method,
            path: request.url,
            headers,
          },
          resolve,
        );
        outgoing.on("error", reject);
        outgoing.end(body);
      });
      const contentType = String(upstreamResponse.headers["content-type"] ?? "");
      const entry = (bytes: number): ProxyLogEntry => ({
        method: request.method ?? "GET",
        path: request.url ?? "/",
        requestBody: body.toString("utf8"),
        status: upstreamResponse.statusCode ?? 0,
        contentType,
        bytes,
        upstreamMs: performance.now() - started,
      });
      if (kind === "brotli" && contentType.includes("text/event-stream")) {
        const responseHeaders = endToEnd(upstreamResponse.headers);
        responseHeaders["content-encoding"] = "br";
        response.writeHead(upstreamResponse.statusCode ?? 502, responseHeaders);
        const compressor = createBrotliCompress();
        let bytes = 0;
        compressor.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
        });
        compressor.on("end", () => log.push(entry(bytes)));
        upstreamResponse.pipe(compressor).pipe(response);
        return;
      }
      // The whole response, however long it streams, before the first byte goes out.
      let payload = await readAll(upstreamResponse);
      if (REWRITTEN.test(contentType)) {
        payload = Buffer.from(
          payload.toString("utf8").replaceAll(target.host, new URL(ownOrigin).host),
        );
      }
      const responseHeaders = endToEnd(upstreamResponse.headers);
      const location = upstreamResponse.headers.location;
      if (location) responseHeaders.location = location.replace(target.origin, ownOrigin);
      responseHeaders["content-length"] = String(payload.length);
      response.writeHead(upstreamResponse.statusCode ?? 502, responseHeaders);
      response.end(payload);
      log.push(entry(payload.length));
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
      response.end(`buffering proxy: ${(error as Error).message}`);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  ownOrigin = `http://127.0.0.1:${port}`;
  return {
    url: ownOrigin,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
