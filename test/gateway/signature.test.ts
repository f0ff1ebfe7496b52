import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signatureFor, signedHeaders } from "../../server/http/signature.ts";
import { chatBody, startTestGateway, type TestGateway } from "../support/gateway.ts";

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.stop());

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

describe("request signatures", () => {
  it("match the documented construction", () => {
    // HMAC-SHA256("secret", "GET\n/v1/usage\n1700000000\nabcdefghijklmnop\n" + sha256("")).
    expect(
      signatureFor("secret", {
        method: "GET",
        path: "/v1/usage",
        timestamp: "1700000000",
        nonce: "abcdefghijklmnop",
        body: "",
      }),
    ).toBe("v1=fda69d19c83612dbce83fbfb5267d55cb900dfb0d6ddedab0297470c32640474");
  });

  it("accept a correctly signed GET with an empty body", async () => {
    const response = await gateway.request("/v1/usage?days=7");
    expect(response.status).toBe(200);
  });

  it("refuse a request without signature headers", async () => {
    const response = await fetch(`${gateway.url}/v1/models`);
    expect(response.status).toBe(401);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("signature_missing");
    expect(error.message).toContain("x-sluice-signature");
  });

  it("refuse an unknown site", async () => {
    const response = await gateway.request("/v1/models", { sign: { siteId: "other-site" } });
    expect(response.status).toBe(401);
    expect(await errorCode(response)).toBe("unknown_site");
  });

  it("refuse a wrong secret", async () => {
    const response = await gateway.request("/v1/models", { sign: { secret: "x".repeat(43) } });
    expect(response.status).toBe(401);
    expect(await errorCode(response)).toBe("signature_invalid");
  });

  it("refuse a stale timestamp and one too far in the future", async () => {
    for (const offset of [-301_000, 301_000]) {
      const response = await gateway.request("/v1/models", { sign: { now: Date.now() + offset } });
      expect(response.status).toBe(401);
      expect(await errorCode(response)).toBe("timestamp_out_of_window");
    }
  });

  it("refuse a replayed nonce, even with a fresh signature", async () => {
    const nonce = "replay-nonce-0123456789";
    expect((await gateway.request("/v1/models", { sign: { nonce } })).status).toBe(200);
    const replay = await gateway.request("/v1/models", { sign: { nonce } });
    expect(replay.status).toBe(401);
    expect(await errorCode(replay)).toBe("nonce_reused");
  });

  it("refuse a tampered body", async () => {
    const headers = signedFor("/v1/chat", JSON.stringify(chatBody("original")));
    const tampered = await fetch(`${gateway.url}/v1/chat`, {
      method: "POST",
      headers,
      body: JSON.stringify(chatBody("tampered")),
    });
    expect(tampered.status).toBe(401);
    expect(await errorCode(tampered)).toBe("signature_invalid");
  });

  it("refuse a signature made for another path", async () => {
    const headers = signedFor("/v1/usage", "", "GET");
    const response = await fetch(`${gateway.url}/v1/models`, { headers });
    expect(response.status).toBe(401);
    expect(await errorCode(response)).toBe("signature_invalid");
  });

  it("refuse a short nonce", async () => {
    const response = await gateway.request("/v1/models", { sign: { nonce: "short" } });
    expect(response.status).toBe(401);
    expect(await errorCode(response)).toBe("invalid_nonce");
  });

  it("follow a secret rotated by another process", async () => {
    const rotated = "r".repeat(40);
    gateway.services.db
      .prepare("UPDATE sites SET secret_sealed = ? WHERE id = ?")
      .run(gateway.services.vault.seal(rotated, `site_secret:${gateway.siteId}`), gateway.siteId);
    const old = await gateway.request("/v1/models");
    expect(old.status).toBe(401);
    const fresh = await gateway.request("/v1/models", { sign: { secret: rotated } });
    expect(fresh.status).toBe(200);
  });
});

function signedFor(path: string, body: string, method = "POST"): Record<string, string> {
  return {
    "Content-Type": "application/json",
    ...signedHeaders({ siteId: gateway.siteId, secret: gateway.secret, method, path, body }),
  };
}
