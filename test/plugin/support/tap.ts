import { once } from "node:events";
import { createConnection, createServer, type Server, type Socket } from "node:net";

/** One TCP connection through the tap: the bytes each way, as they went. */
export interface TapExchange {
  /** What the client (the PHP plugin) sent. */
  sent: Buffer[];
  /** What the gateway answered. */
  received: Buffer[];
  /** Resolves when both sides are closed. */
  closed: Promise<void>;
}

/** An answer the tap gives in the gateway's place. */
export interface CannedAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/**
 * A TCP proxy in front of the gateway that records every byte each way, so a
 * test can compare what the gateway sent with what WordPress passed on, that
 * can stop accepting connections to play an unreachable gateway, and that can
 * answer a request itself, as a gateway that says something else would.
 */
export class GatewayTap {
  readonly exchanges: TapExchange[] = [];
  #server: Server | undefined;
  #port = 0;
  readonly #sockets = new Set<Socket>();
  readonly #canned: CannedAnswer[] = [];

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Listens (again, on the same port after refuse()). */
  async accept(): Promise<void> {
    const server = createServer((client) => this.#relay(client));
    server.listen(this.#port, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    if (address && typeof address === "object") this.#port = address.port;
    this.#server = server;
  }

  /** Stops listening: connections are refused, as by a gateway that is down. */
  async refuse(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Cuts every open connection, as a gateway that crashes mid-answer. */
  cutAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await this.refuse();
  }

  /** The next connections (one per answer) get these answers instead of the gateway's. */
  answerNext(...answers: CannedAnswer[]): void {
    this.#canned.push(...answers);
  }

  /** The exchange whose answer mentions `marker` (e.g. a request id). */
  find(marker: string): TapExchange | undefined {
    return this.exchanges.find((exchange) =>
      Buffer.concat(exchange.received).includes(Buffer.from(marker)),
    );
  }

  #relay(client: Socket): void {
    const canned = this.#canned.shift();
    if (canned) {
      this.#answer(client, canned);
      return;
    }
    const upstream = createConnection({ host: this.upstreamHost, port: this.upstreamPort });
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    const exchange: TapExchange = {
      sent: [],
      received: [],
      closed: Promise.all([once(client, "close"), once(upstream, "close")]).then(() => undefined),
    };
    this.exchanges.push(exchange);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    }
    client.on("data", (chunk: Buffer) => {
      exchange.sent.push(chunk);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      exchange.received.push(chunk);
      client.write(chunk);
    });
    // A side that goes away takes the other with it, as a disconnect would.
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  }

  /** Reads the whole request (headers and Content-Length body), then answers it and closes. */
  #answer(client: Socket, answer: CannedAnswer): void {
    this.#sockets.add(client);
    client.once("close", () => this.#sockets.delete(client));
    client.on("error", () => client.destroy());
    let received = Buffer.alloc(0);
    client.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(
        /\r\ncontent-length:\s*(\d+)/i.exec(received.subarray(0, end).toString("latin1"))?.[1] ?? 0,
      );
      if (received.length < end + 4 + length) return;
      client.removeAllListeners("data");
      const body = Buffer.from(answer.body);
      const headers = {
        "Content-Type": "application/json",
        ...answer.headers,
        "Content-Length": String(body.length),
        Connection: "close",
      };
      const head = [
        `HTTP/1.1 ${answer.status} Canned`,
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      ].join("\r\n");
      client.end(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body]));
    });
  }
}

export interface HttpMessage {
  startLine: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Splits raw HTTP/1.1 bytes into start line, headers and body, undoing chunked encoding. */
export function parseHttpMessage(raw: Buffer): HttpMessage {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) throw new Error("no end of headers in the recorded bytes");
  const [startLine = "", ...lines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = raw.subarray(end + 4);
  const chunked = headers["transfer-encoding"]?.toLowerCase() === "chunked";
  return { startLine, headers, body: chunked ? dechunk(rest) : rest };
}

function dechunk(encoded: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = encoded.indexOf("\r\n", offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(encoded.subarray(offset, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(encoded.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
