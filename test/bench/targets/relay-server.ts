/**
 * The bare relay (its own process): a minimal node:http proxy that pipes each
 * request to the upstream and the answer back, with no parsing at all. It is the
 * floor: what any Node proxy costs on this machine.
 *
 * Usage: BENCH_UPSTREAM=http://127.0.0.1:N node --import tsx test/bench/targets/relay-server.ts
 * (prints "listening <port>")
 */
import { Agent, createServer, type IncomingHttpHeaders, request } from "node:http";

const upstream = new URL(process.env.BENCH_UPSTREAM ?? "");
if (!upstream.port) throw new Error("BENCH_UPSTREAM must be set to the upstream's origin");

const agent = new Agent({
  keepAlive: true,
  maxSockets: Number.POSITIVE_INFINITY,
  maxFreeSockets: 4096,
});
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "upgrade",
  "proxy-connection",
];

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

const server = createServer({ noDelay: true }, (req, res) => {
  const headers = withoutHopByHop(req.headers);
  headers.host = upstream.host;
  const out = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
      res.flushHeaders();
      answer.pipe(res);
    },
  );
  out.on("error", () => {
    if (res.headersSent) res.destroy();
    else res.writeHead(502).end();
  });
  res.once("close", () => {
    if (!res.writableFinished) out.destroy();
  });
  req.pipe(out);
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
