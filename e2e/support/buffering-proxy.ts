import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
} from "node:http";
import type { AddressInfo } from "node:net";

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
 * A reverse proxy in front of WordPress that buffers whole responses, like a badly
 * configured nginx or CDN: it reads the entire upstream response, streams included,
 * before sending any of it. As a reverse proxy for another origin it also rewrites
 * WordPress's absolute URLs (in pages, JSON and Location) from the upstream origin to
 * its own, so the browser stays behind it, REST calls included.
 */
export async function startBufferingProxy(upstream: string): Promise<BufferingProxy> {
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
      // The whole response, however long it streams, before the first byte goes out.
      let payload = await readAll(upstreamResponse);
      const contentType = String(upstreamResponse.headers["content-type"] ?? "");
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
      log.push({
        method: request.method ?? "GET",
        path: request.url ?? "/",
        requestBody: body.toString("utf8"),
        status: upstreamResponse.statusCode ?? 0,
        contentType,
        bytes: payload.length,
        upstreamMs: performance.now() - started,
      });
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
