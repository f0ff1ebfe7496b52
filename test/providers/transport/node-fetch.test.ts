import { once } from "node:events";
import type { ServerResponse } from "node:http";
import net from "node:net";
import zlib from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import {
  createNodeFetch,
  StreamedResponse,
} from "../../../server/providers/transport/node-fetch.ts";
import {
  deadPort,
  deferred,
  type Handler,
  type LocalServer,
  startServer,
  tlsFixtures,
  within,
} from "./local-server.ts";

const servers: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(handler: Handler, options?: { tls?: boolean }): Promise<LocalServer> {
  const server = await startServer(handler, options);
  servers.push(server);
  return server;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers = {}): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

/** Echoes what arrived: method, headers, body. */
const echo: Handler = (_request, response, seen) => {
  sendJson(response, 200, {
    method: seen.method,
    headers: seen.headers,
    body: seen.body.toString("utf8"),
  });
};

interface Echoed {
  method: string;
  headers: Record<string, string>;
  body: string;
}

function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("resolved, but a rejection was expected");
    },
    (error: unknown) => error,
  );
}

const TEXT = "naïve café — 日本語 🌊";

describe("2xx answers: StreamedResponse", () => {
  it("carries the status, status text, headers and url", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(201, "Made Here", { "content-type": "text/plain", "x-request-id": "r-1" });
      response.end("made");
    });
    const url = server.url("/v1/things?limit=2");
    const response = await createNodeFetch()(url);
    expect(response).toBeInstanceOf(StreamedResponse);
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(201);
    expect(response.statusText).toBe("Made Here");
    expect(response.ok).toBe(true);
    expect(response.url).toBe(url);
    expect(response.headers.get("content-type")).toBe("text/plain");
    expect(response.headers.get("x-request-id")).toBe("r-1");
    expect(await response.text()).toBe("made");
  });

  it("`.stream` yields each piece as the server writes it, before the answer ends", async () => {
    const release = deferred();
    let serverEnded = false;
    const server = await serve(async (_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("first piece");
      await release.promise;
      response.end("second piece");
      serverEnded = true;
    });
    const response = (await createNodeFetch()(server.url())) as StreamedResponse;
    const pieces = response.stream[Symbol.asyncIterator]();
    const first = await within(pieces.next(), 5_000, "the first piece");
    expect(Buffer.from(first.value as Buffer).toString("utf8")).toBe("first piece");
    expect(serverEnded).toBe(false);

    release.resolve();
    let rest = "";
    for (let next = await pieces.next(); !next.done; next = await pieces.next()) {
      rest += Buffer.from(next.value as Buffer).toString("utf8");
    }
    expect(rest).toBe("second piece");
    expect(serverEnded).toBe(true);
  });

  it("text() decodes UTF-8 and marks the body used", async () => {
    const server = await serve((_request, response) => response.end(TEXT));
    const response = await createNodeFetch()(server.url());
    expect(response.bodyUsed).toBe(false);
    expect(await response.text()).toBe(TEXT);
    expect(response.bodyUsed).toBe(true);
  });

  it("json() parses the body", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, { a: [1, TEXT] }));
    const response = await createNodeFetch()(server.url());
    expect(await response.json()).toEqual({ a: [1, TEXT] });
  });

  it("arrayBuffer() holds exactly the bytes sent", async () => {
    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, ...Buffer.from(TEXT, "utf8")]);
    const server = await serve((_request, response) => {
      response.write(bytes.subarray(0, 3));
      response.end(bytes.subarray(3));
    });
    const response = await createNodeFetch()(server.url());
    const buffer = await response.arrayBuffer();
    expect(buffer).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(buffer).equals(bytes)).toBe(true);
  });

  it("body is a web ReadableStream of the bytes", async () => {
    const server = await serve((_request, response) => {
      response.write("one,");
      response.end("two");
    });
    const response = await createNodeFetch()(server.url());
    const body = response.body;
    expect(body).toBeInstanceOf(ReadableStream);
    // The same stream each time it is asked for.
    expect(response.body).toBe(body);
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    const parts: Buffer[] = [];
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      expect(next.value).toBeInstanceOf(Uint8Array);
      parts.push(Buffer.from(next.value));
    }
    expect(Buffer.concat(parts).toString("utf8")).toBe("one,two");
  });

  it("a 204 has an empty body", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(204);
      response.end();
    });
    const response = await createNodeFetch()(server.url());
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
  });

  it("a body cut mid-way makes the stream fail, and text() rejects", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-length": "100" });
      response.write("only part", () => response.socket?.destroy());
    });
    const response = await createNodeFetch()(server.url());
    const error = await errorOf(response.text());
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe("fetch failed");
    expect((error as TypeError).cause).toBeInstanceOf(Error);
  });
});

describe("other answers: a plain Response, read whole", () => {
  it("a 429 with a JSON body keeps its body and its headers", async () => {
    const server = await serve((_request, response) =>
      sendJson(
        response,
        429,
        { error: { message: "Rate limit reached", type: "rate_limit" } },
        { "retry-after": "7", "x-request-id": "r-429" },
      ),
    );
    const response = await createNodeFetch()(server.url(), { method: "POST", body: "{}" });
    expect(response).not.toBeInstanceOf(StreamedResponse);
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(429);
    expect(response.ok).toBe(false);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(response.headers.get("x-request-id")).toBe("r-429");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({
      error: { message: "Rate limit reached", type: "rate_limit" },
    });
  });

  it("a body past 1 MiB is cut at 1 MiB", async () => {
    const big = Buffer.alloc((1 << 20) + 300_000, "x");
    const server = await serve((_request, response) => {
      response.writeHead(500, { "content-type": "text/plain" });
      response.end(big);
    });
    const response = await createNodeFetch()(server.url());
    expect(response.status).toBe(500);
    expect((await response.arrayBuffer()).byteLength).toBe(1 << 20);
  });
});

describe("repeated response headers are all kept", () => {
  it.each([200, 503])("status %i", async (status) => {
    const server = await serve((_request, response) => {
      // A flat array (with no setHeader before it) is written as is, one line per pair.
      response.writeHead(
        status,
        [
          ["set-cookie", "a=1; Path=/"],
          ["x-multi", "one"],
          ["set-cookie", "b=2; Path=/"],
          ["x-multi", "two"],
        ].flat(),
      );
      response.end("ok");
    });
    const response = await createNodeFetch()(server.url());
    expect(response.status).toBe(status);
    expect(response.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
    expect(response.headers.get("x-multi")).toBe("one, two");
  });
});

describe("requests", () => {
  const forms: [string, HeadersInit][] = [
    [
      "Headers",
      new Headers({ Authorization: "Bearer sk-1", "X-Custom-One": "a", "x-custom-two": "b" }),
    ],
    [
      "an array",
      [
        ["Authorization", "Bearer sk-1"],
        ["X-Custom-One", "a"],
        ["x-custom-two", "b"],
      ],
    ],
    ["a record", { Authorization: "Bearer sk-1", "X-Custom-One": "a", "x-custom-two": "b" }],
  ];

  it.each(forms)(
    "headers given as %s all arrive, and content-length counts UTF-8 bytes",
    async (_, headers) => {
      const server = await serve(echo);
      const response = await createNodeFetch()(server.url("/echo"), {
        method: "POST",
        headers,
        body: TEXT,
      });
      const seen = (await response.json()) as Echoed;
      expect(seen.method).toBe("POST");
      expect(seen.headers).toMatchObject({
        authorization: "Bearer sk-1",
        "x-custom-one": "a",
        "x-custom-two": "b",
        "content-length": String(Buffer.byteLength(TEXT, "utf8")),
      });
      expect(Buffer.byteLength(TEXT, "utf8")).toBeGreaterThan(TEXT.length);
      expect(seen.body).toBe(TEXT);
    },
  );

  it("a byte view is sent from its own offset and length", async () => {
    const server = await serve(echo);
    const whole = Buffer.from(`xxxx${TEXT}yyyy`, "utf8");
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 4, whole.length - 8);
    const response = await createNodeFetch()(server.url(), { method: "PUT", body: view });
    const seen = (await response.json()) as Echoed;
    expect(seen.method).toBe("PUT");
    expect(seen.body).toBe(TEXT);
    expect(seen.headers["content-length"]).toBe(String(view.byteLength));
  });

  it("an ArrayBuffer body is sent whole", async () => {
    const server = await serve(echo);
    const bytes = new TextEncoder().encode(TEXT);
    const response = await createNodeFetch()(server.url(), {
      method: "POST",
      body: bytes.buffer,
    });
    expect(((await response.json()) as Echoed).body).toBe(TEXT);
  });

  it("GET is the default method, with no body", async () => {
    const server = await serve(echo);
    const seen = (await (await createNodeFetch()(server.url())).json()) as Echoed;
    expect(seen.method).toBe("GET");
    expect(seen.body).toBe("");
  });
});

describe("content-encoding is decoded", () => {
  const encoders = {
    gzip: zlib.gzipSync,
    deflate: zlib.deflateSync,
    br: zlib.brotliCompressSync,
  } as const;
  const body = JSON.stringify({ text: TEXT.repeat(50) });

  it.each(Object.keys(encoders) as (keyof typeof encoders)[])("%s on a 200", async (encoding) => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/json", "content-encoding": encoding });
      const compressed = encoders[encoding](Buffer.from(body, "utf8"));
      // In two writes, so the decoder sees a split input.
      response.write(compressed.subarray(0, 10));
      response.end(compressed.subarray(10));
    });
    const response = await createNodeFetch()(server.url());
    expect(response).toBeInstanceOf(StreamedResponse);
    expect(await response.text()).toBe(body);
  });

  it("gzip on an error answer", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(400, { "content-type": "application/json", "content-encoding": "gzip" });
      response.end(zlib.gzipSync(JSON.stringify({ error: { message: "bad" } })));
    });
    const response = await createNodeFetch()(server.url());
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { message: "bad" } });
  });
});

describe("connection failures", () => {
  it("connection refused: TypeError fetch failed, with the cause", async () => {
    const port = await deadPort();
    const error = await errorOf(createNodeFetch()(`http://127.0.0.1:${port}/`));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe("fetch failed");
    expect((error as TypeError).cause).toMatchObject({ code: "ECONNREFUSED" });
  });

  it("a socket closed before any answer: TypeError fetch failed, with the cause", async () => {
    const server = await serve((request) => {
      request.socket.destroy();
    });
    const error = await errorOf(createNodeFetch()(server.url()));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe("fetch failed");
    expect((error as TypeError).cause).toBeInstanceOf(Error);
  });
});

describe("abort", () => {
  it("an already aborted signal rejects with its reason, and the server is never contacted", async () => {
    const server = await serve(echo);
    const controller = new AbortController();
    controller.abort();
    const error = await errorOf(createNodeFetch()(server.url(), { signal: controller.signal }));
    expect(error).toBe(controller.signal.reason);
    expect((error as DOMException).name).toBe("AbortError");
    expect(server.requests).toHaveLength(0);
    expect(server.connections()).toBe(0);
  });

  it("an Error given as the reason is the rejection", async () => {
    const server = await serve(echo);
    const controller = new AbortController();
    const reason = new Error("visitor left");
    controller.abort(reason);
    await expect(createNodeFetch()(server.url(), { signal: controller.signal })).rejects.toBe(
      reason,
    );
    expect(server.connections()).toBe(0);
  });

  it("while waiting for the headers: rejects with an AbortError and the request closes", async () => {
    const server = await serve(() => {
      // Never answers.
    });
    const controller = new AbortController();
    const pending = errorOf(createNodeFetch()(server.url(), { signal: controller.signal }));
    await within(
      waitFor(() => server.requests.length === 1),
      5_000,
      "the request",
    );
    controller.abort();
    const error = await pending;
    expect((error as DOMException).name).toBe("AbortError");
    await expect(
      within(server.requests[0]?.closed ?? Promise.reject(), 2_000, "close"),
    ).resolves.toEqual({
      beforeEnd: true,
    });
  });

  it("after the headers: the connection is torn down and the stream stops", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: first\n\n");
      // Then holds the answer open.
    });
    const controller = new AbortController();
    const response = (await createNodeFetch()(server.url(), {
      signal: controller.signal,
    })) as StreamedResponse;
    const stream = response.stream;
    const [first] = (await once(stream, "data")) as [Buffer];
    expect(first.toString("utf8")).toBe("data: first\n\n");
    // An 'error' before the 'close' is fine too (events.once would reject on it).
    const streamClosed = new Promise((resolve) => stream.once("close", resolve));
    stream.on("error", () => {});

    controller.abort();
    const seen = server.requests[0];
    expect(seen).toBeDefined();
    await expect(within(seen?.closed as Promise<unknown>, 2_000, "server close")).resolves.toEqual({
      beforeEnd: true,
    });
    await within(streamClosed, 2_000, "stream close");
    expect(stream.destroyed).toBe(true);
    expect(stream.readableEnded).toBe(false);
  });
});

describe("keep-alive", () => {
  it("two sequential requests share one socket", async () => {
    const server = await serve((_request, response) => response.end("ok"));
    const nodeFetch = createNodeFetch();
    expect(await (await nodeFetch(server.url("/one"))).text()).toBe("ok");
    expect(await (await nodeFetch(server.url("/two"))).text()).toBe("ok");
    expect(server.connections()).toBe(1);
    expect(server.requests.map((request) => request.url)).toEqual(["/one", "/two"]);
    expect(server.requests[0]?.remotePort).toBe(server.requests[1]?.remotePort);
  });

  it("the socket of an error answer, read whole, is reused too", async () => {
    const server = await serve((request, response) =>
      request.url === "/refuse" ? sendJson(response, 429, { error: "slow down" }) : response.end(),
    );
    const nodeFetch = createNodeFetch();
    expect((await nodeFetch(server.url("/refuse"))).status).toBe(429);
    expect((await nodeFetch(server.url("/ok"))).status).toBe(200);
    expect(server.connections()).toBe(1);
  });

  it("after an aborted answer, the next request gets a fresh socket and works", async () => {
    const server = await serve((request, response) => {
      response.writeHead(200);
      if (request.url === "/ok") response.end("fine");
      else response.write("held open");
    });
    const nodeFetch = createNodeFetch();
    const controller = new AbortController();
    const held = (await nodeFetch(server.url("/hold"), {
      signal: controller.signal,
    })) as StreamedResponse;
    held.stream.on("error", () => {});
    await once(held.stream, "data");
    controller.abort();
    await within(server.requests[0]?.closed as Promise<unknown>, 2_000, "server close");
    expect(await (await nodeFetch(server.url("/ok"))).text()).toBe("fine");
    expect(server.connections()).toBe(2);
  });
});

describe("https with a private CA", () => {
  it("the CA given in `tls` verifies the server", async () => {
    const server = await serve((_request, response) => response.end("secure"), { tls: true });
    const url = server.url("/secure");
    expect(url.startsWith("https://127.0.0.1:")).toBe(true);
    const response = await createNodeFetch({ tls: { ca: tlsFixtures.ca } })(url);
    expect(response).toBeInstanceOf(StreamedResponse);
    expect(response.url).toBe(url);
    expect(await response.text()).toBe("secure");
  });

  it("without the CA the call rejects: TypeError fetch failed, a certificate error as cause", async () => {
    const server = await serve((_request, response) => response.end("secure"), { tls: true });
    const error = await errorOf(createNodeFetch()(server.url()));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe("fetch failed");
    const cause = (error as TypeError).cause as NodeJS.ErrnoException;
    expect(cause).toBeInstanceOf(Error);
    expect(cause.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    expect(server.requests).toHaveLength(0);
  });
});

describe("what is left to the global fetch", () => {
  it("a FormData body still reaches the server, as multipart", async () => {
    const server = await serve(echo);
    const form = new FormData();
    form.append("purpose", "assistants");
    form.append("note", TEXT);
    const response = await createNodeFetch()(server.url("/upload"), {
      method: "POST",
      body: form,
    });
    expect(response).not.toBeInstanceOf(StreamedResponse);
    expect(response.status).toBe(200);
    const seen = (await response.json()) as Echoed;
    expect(seen.method).toBe("POST");
    expect(seen.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen.body).toContain('name="purpose"');
    expect(seen.body).toContain("assistants");
    expect(seen.body).toContain(TEXT);
  });

  it("a Request object", async () => {
    const server = await serve(echo);
    const response = await createNodeFetch()(
      new Request(server.url("/req"), { method: "POST", body: "from a Request" }),
    );
    expect(response).not.toBeInstanceOf(StreamedResponse);
    expect(((await response.json()) as Echoed).body).toBe("from a Request");
  });

  it("a data: URL", async () => {
    const response = await createNodeFetch()("data:text/plain,hello%20there");
    expect(await response.text()).toBe("hello there");
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("inputs fetch would refuse, and servers that bend HTTP", () => {
  it("an invalid URL string rejects, it does not throw", async () => {
    const call = createNodeFetch()("not a url");
    expect(call).toBeInstanceOf(Promise);
    const error = await errorOf(call);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain("invalid URL");
  });

  it("a header repeated in an array is sent once, its values joined", async () => {
    const server = await serve(echo);
    const response = await createNodeFetch()(server.url("/echo"), {
      headers: [
        ["X-Dup", "1"],
        ["x-dup", "2"],
      ],
    });
    const seen = (await response.json()) as Echoed;
    expect(seen.headers["x-dup"]).toBe("1, 2");
  });

  it.each([200, 503])(
    "a status line whose reason phrase holds a control character (%i) is answered, not crashed on",
    async (status) => {
      const server = net.createServer((socket) => {
        socket.once("data", () => {
          socket.end(`HTTP/1.1 ${status} O\x01K\r\ncontent-length: 2\r\n\r\nhi`);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = server.address() as net.AddressInfo;
        const response = await within(
          createNodeFetch()(`http://127.0.0.1:${port}/`),
          2000,
          "the answer",
        );
        expect(response.status).toBe(status);
        expect(response.statusText).toBe("");
        expect(await response.text()).toBe("hi");
      } finally {
        server.close();
      }
    },
  );

  it("a streamed response reads as a Blob, and refuses to be cloned", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "text/plain" });
      response.end("blob body");
    });
    const response = await createNodeFetch()(server.url("/"));
    expect(() => response.clone()).toThrow(/cannot be cloned/);
    const blob = await response.blob();
    expect(blob.type).toBe("text/plain");
    expect(await blob.text()).toBe("blob body");
  });
});

describe("header values are checked", () => {
  it("a CR/LF in a header value rejects before anything is sent", async () => {
    const server = await serve(echo);
    const error = await errorOf(
      createNodeFetch()(server.url("/echo"), { headers: { "x-key": "a\r\nx-injected: 1" } }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(server.requests).toHaveLength(0);
  });
});

describe("a refusal keeps its status whatever happens to its body", () => {
  it("a 429 with gzip announced on an empty body", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(429, {
        "content-encoding": "gzip",
        "content-length": "0",
        "retry-after": "7",
      });
      response.end();
    });
    const response = await createNodeFetch()(server.url("/"));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(await response.text()).toBe("");
  });

  it("a 503 whose body is cut mid-way keeps what arrived", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(503, { "content-type": "application/json", "content-length": "100" });
      response.write('{"error":');
      setTimeout(() => response.socket?.destroy(), 20);
    });
    const response = await createNodeFetch()(server.url("/"));
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('{"error":');
  });
});

describe("a kept-alive socket the server closed", () => {
  it("is retried once on a new connection, and the call succeeds", async () => {
    // Answers the first request of each connection; closes on the second, as
    // a server does when its keep-alive timeout ends just as a request arrives.
    let connections = 0;
    const server = net.createServer((socket) => {
      connections += 1;
      let requests = 0;
      socket.on("data", () => {
        requests += 1;
        if (requests === 1) {
          socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok");
        } else {
          socket.destroy();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const fetchOver = createNodeFetch();
      const url = `http://127.0.0.1:${port}/`;
      expect(await (await fetchOver(url, { method: "POST", body: "a" })).text()).toBe("ok");
      expect(await (await fetchOver(url, { method: "POST", body: "b" })).text()).toBe("ok");
      expect(connections).toBe(2);
    } finally {
      server.close();
    }
  });
});
