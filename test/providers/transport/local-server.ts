import { readFileSync } from "node:fs";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

/** The private CA and the 127.0.0.1 certificate it signed (see fixtures/README.md). */
export const tlsFixtures = {
  ca: readFileSync(new URL("./fixtures/ca.pem", import.meta.url), "utf8"),
  cert: readFileSync(new URL("./fixtures/server.pem", import.meta.url), "utf8"),
  key: readFileSync(new URL("./fixtures/server-key.pem", import.meta.url), "utf8"),
};

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The client's port: equal for two requests on one kept-alive socket. */
  remotePort: number | undefined;
  /** Settles when the response closes; `beforeEnd` if it closed unfinished. */
  closed: Promise<{ beforeEnd: boolean }>;
}

export type Handler = (
  request: IncomingMessage,
  response: ServerResponse,
  seen: SeenRequest,
) => unknown;

export interface LocalServer {
  /** `http(s)://127.0.0.1:<port><path>`. */
  url(path?: string): string;
  readonly requests: SeenRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A real server on 127.0.0.1, port 0. Each request's body is read whole, the
 * request is recorded, then `handler` answers it.
 */
export async function startServer(
  handler: Handler,
  options: { tls?: boolean } = {},
): Promise<LocalServer> {
  const requests: SeenRequest[] = [];
  let connections = 0;
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    const closed = new Promise<{ beforeEnd: boolean }>((resolve) => {
      response.on("close", () => resolve({ beforeEnd: !response.writableEnded }));
    });
    readBody(request)
      .then((body) => {
        const seen: SeenRequest = {
          method: request.method ?? "",
          url: request.url ?? "",
          headers: request.headers,
          body,
          remotePort: request.socket.remotePort,
          closed,
        };
        requests.push(seen);
        return handler(request, response, seen);
      })
      .catch(() => response.destroy());
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: tlsFixtures.cert, key: tlsFixtures.key }, onRequest)
    : createServer(onRequest);
  server.on("connection", () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const scheme = options.tls ? "https" : "http";
  return {
    url: (path = "/") => `${scheme}://127.0.0.1:${port}${path}`,
    requests,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on: a server is started there, then closed. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A promise and its resolver, for a server that waits on the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((ok) => {
    resolve = ok;
  });
  return { promise, resolve };
}

/** `promise`, or a rejection naming `what` when it takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return Buffer.concat(parts);
}
