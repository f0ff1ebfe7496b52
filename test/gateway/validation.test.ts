import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../server/http/signature.ts";
import { startTestGateway, type TestGateway } from "../support/gateway.ts";

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({
    SLUICE_MAX_INPUT_CHARS: "1000",
    SLUICE_MAX_BODY_BYTES: "20000",
  });
});
afterAll(() => gateway.stop());

const user = (content: unknown) => ({ role: "user", content });

/** Each bad input, the field its message must name, and a fragment of why. */
const BAD_INPUTS: { name: string; body: unknown; field: string; why: RegExp }[] = [
  { name: "no messages", body: {}, field: "messages", why: /required/ },
  { name: "messages not an array", body: { messages: "hi" }, field: "messages", why: /array/ },
  { name: "empty messages", body: { messages: [] }, field: "messages", why: /at least one/ },
  {
    name: "too many messages",
    body: { messages: Array.from({ length: 101 }, () => user("x")) },
    field: "messages",
    why: /at most 100/,
  },
  {
    name: "wrong role",
    body: { messages: [{ role: "robot", content: "x" }] },
    field: "messages[0].role",
    why: /"robot"/,
  },
  {
    name: "missing content",
    body: { messages: [{ role: "user" }] },
    field: "messages[0].content",
    why: /string/,
  },
  {
    name: "numeric content",
    body: { messages: [user(42)] },
    field: "messages[0].content",
    why: /string/,
  },
  {
    name: "empty content",
    body: { messages: [user("   ")] },
    field: "messages[0].content",
    why: /empty/,
  },
  {
    name: "message not an object",
    body: { messages: ["hello"] },
    field: "messages[0]",
    why: /object/,
  },
  {
    name: "unknown top-level field",
    body: { messages: [user("x")], tools: [] },
    field: "body",
    why: /unknown field "tools"/,
  },
  {
    name: "unknown message field",
    body: { messages: [{ role: "user", content: "x", name: "bob" }] },
    field: "messages[0]",
    why: /unknown field "name"/,
  },
  {
    name: "oversized messages",
    body: { messages: [user("x".repeat(1001))] },
    field: "messages",
    why: /1001 characters.*limit is 1000/,
  },
  {
    name: "only system messages",
    body: { messages: [{ role: "system", content: "be nice" }] },
    field: "messages",
    why: /user message/,
  },
  {
    name: "model without provider",
    body: { messages: [user("x")], model: "gpt-4o" },
    field: "model",
    why: /provider\/model/,
  },
  {
    name: "model of unknown provider",
    body: { messages: [user("x")], model: "acme/turbo" },
    field: "model",
    why: /not a known model/,
  },
  {
    name: "max_tokens zero",
    body: { messages: [user("x")], max_tokens: 0 },
    field: "max_tokens",
    why: /at least 1/,
  },
  {
    name: "max_tokens fractional",
    body: { messages: [user("x")], max_tokens: 1.5 },
    field: "max_tokens",
    why: /whole number/,
  },
  {
    name: "max_tokens as text",
    body: { messages: [user("x")], max_tokens: "100" },
    field: "max_tokens",
    why: /number/,
  },
  {
    name: "max_tokens above the model's limit",
    body: { messages: [user("x")], model: "demo/sluice-demo", max_tokens: 5000 },
    field: "max_tokens",
    why: /at most 4096/,
  },
  {
    name: "max_tokens 1e12 with model auto",
    body: { messages: [user("x")], max_tokens: 1e12 },
    field: "max_tokens",
    why: /at most 10000000/,
  },
  {
    name: "max_tokens 1e12 with an explicit model",
    body: { messages: [user("x")], model: "demo/sluice-demo", max_tokens: 1e12 },
    field: "max_tokens",
    why: /at most 10000000/,
  },
  {
    name: "max_tokens past the safe integers",
    body: { messages: [user("x")], max_tokens: 1e20 },
    field: "max_tokens",
    why: /^max_tokens: must be at most 10000000 \(and at most the model's output limit\)$/,
  },
  {
    name: "max_tokens above every auto model's limit",
    body: { messages: [user("x")], max_tokens: 5000 },
    field: "max_tokens",
    why: /at most 4096/,
  },
  {
    name: "max_tokens negative zero",
    body: { messages: [user("x")], max_tokens: -0 },
    field: "max_tokens",
    why: /at least 1/,
  },
  {
    name: "temperature huge",
    body: { messages: [user("x")], temperature: 1e308 },
    field: "temperature",
    why: /0 to 2/,
  },
  {
    name: "temperature as text",
    body: { messages: [user("x")], temperature: "0.5" },
    field: "temperature",
    why: /number/,
  },
  {
    name: "content as an array of parts",
    body: { messages: [user([{ type: "text", text: "x" }])] },
    field: "messages[0].content",
    why: /string/,
  },
  {
    name: "content null",
    body: { messages: [user(null)] },
    field: "messages[0].content",
    why: /string/,
  },
  {
    name: "content with an unpaired surrogate",
    body: { messages: [user("caf\ud800e")] },
    field: "messages[0].content",
    why: /valid Unicode/,
  },
  {
    name: "temperature too high",
    body: { messages: [user("x")], temperature: 3 },
    field: "temperature",
    why: /0 to 2/,
  },
  {
    name: "temperature negative",
    body: { messages: [user("x")], temperature: -0.1 },
    field: "temperature",
    why: /0 to 2/,
  },
  {
    name: "stream not boolean",
    body: { messages: [user("x")], stream: "yes" },
    field: "stream",
    why: /true or false/,
  },
  {
    name: "user is an e-mail",
    body: { messages: [user("x")], user: "bob@example.com" },
    field: "user",
    why: /e-mail/,
  },
  {
    name: "user is an IP address",
    body: { messages: [user("x")], user: "203.0.113.77" },
    field: "user",
    why: /IP address/,
  },
  {
    name: "user too short",
    body: { messages: [user("x")], user: "abc" },
    field: "user",
    why: /at least 8/,
  },
  { name: "body is an array", body: [user("x")], field: "body", why: /JSON object/ },
  { name: "body is null", body: null, field: "body", why: /JSON object/ },
];

describe("POST /v1/chat rejects bad input with a 400 naming the field", () => {
  it.each(BAD_INPUTS)("$name", async ({ body, field, why }) => {
    const response = await gateway.request("/v1/chat", {
      method: "POST",
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    const envelope = (await response.json()) as {
      error: { code: string; message: string; request_id: string };
    };
    expect(envelope.error.code).toMatch(/^(invalid_request|unknown_model)$/);
    expect(envelope.error.message).toContain(`${field}:`);
    expect(envelope.error.message).toMatch(why);
    expect(envelope.error.request_id).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it("numbers JSON cannot hold exactly: 1e400 is Infinity, refused by name", async () => {
    for (const [field, why] of [
      ["max_tokens", "must be a number"],
      ["temperature", "must be a number"],
    ]) {
      const response = await gateway.request("/v1/chat", {
        method: "POST",
        body: `{"messages":[{"role":"user","content":"x"}],"${field}":1e400}`,
      });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { message: string } };
      expect(error.message).toBe(`${field}: ${why}`);
    }
  });

  it("non-JSON body", async () => {
    const response = await gateway.request("/v1/chat", { method: "POST", body: "{oops" });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("invalid_json");
    expect(error.message).toMatch(/not valid JSON/);
  });

  it("wrong content type", async () => {
    const response = await gateway.request("/v1/chat", {
      method: "POST",
      body: JSON.stringify({ messages: [user("x")] }),
      headers: { "Content-Type": "text/plain" },
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("invalid_content_type");
    expect(error.message).toMatch(/application\/json.*text\/plain/);
  });

  it("a body over the byte limit gets 413", async () => {
    const response = await gateway.request("/v1/chat", {
      method: "POST",
      body: JSON.stringify({ messages: [user("x".repeat(30_000))] }),
    });
    expect(response.status).toBe(413);
    const { error } = (await response.json()) as { error: { code: string } };
    expect(error.code).toBe("body_too_large");
  });

  it("a body over the limit sent in pieces, without Content-Length, gets 413, not a reset", async () => {
    // The client keeps sending after the limit: the gateway must read the rest
    // away rather than close on it, or the client sees ECONNRESET/EPIPE.
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        // Signature headers a known site would send: the body is read only after them.
        const signature = signedHeaders({
          siteId: gateway.siteId,
          secret: gateway.secret,
          method: "POST",
          path: "/v1/chat",
          body: "",
        });
        const request = httpRequest(`${gateway.url}/v1/chat`, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...signature },
        });
        request.on("error", reject);
        request.on("response", (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (part: string) => {
            text += part;
          });
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
        });
        const piece = "x".repeat(8_000);
        let sent = 0;
        const sendMore = () => {
          if (sent === 8) {
            request.end();
            return;
          }
          sent += 1;
          request.write(piece, () => setTimeout(sendMore, 5));
        };
        sendMore();
      },
    );
    expect(status).toBe(413);
    expect((JSON.parse(body) as { error: { code: string } }).error.code).toBe("body_too_large");
  });

  it("a compressed body gets 415 unsupported_encoding", async () => {
    const response = await gateway.request("/v1/chat", {
      method: "POST",
      // Refused on the header alone, before the bytes are looked at.
      body: JSON.stringify({ messages: [user("x")] }),
      headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" },
    });
    expect(response.status).toBe(415);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("unsupported_encoding");
    expect(error.message).toContain("gzip");
  });

  it("records nothing in the ledger for refused input", () => {
    const rows = gateway.services.db.prepare("SELECT COUNT(*) AS n FROM requests").get() as {
      n: number;
    };
    expect(rows.n).toBe(0);
  });
});

describe("POST /v1/chat accepts numbers at the edges", () => {
  it("accepts max_tokens at the model's limit, and temperature -0 or an underflow to 0", async () => {
    for (const body of [
      `{"messages":[{"role":"user","content":"x"}],"model":"demo/sluice-demo","max_tokens":4096,"stream":false}`,
      `{"messages":[{"role":"user","content":"x"}],"temperature":-0,"stream":false}`,
      `{"messages":[{"role":"user","content":"x"}],"temperature":-1e-400,"stream":false}`,
    ]) {
      const response = await gateway.request("/v1/chat", { method: "POST", body });
      expect(response.status, body).toBe(200);
      await response.json();
    }
  });
});
