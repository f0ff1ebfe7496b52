import { setTimeout as delay } from "node:timers/promises";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../server/http/signature.ts";
import { issueTicket } from "../../server/http/ticket.ts";
import { chatBody, startTestGateway, type TestGateway } from "../support/gateway.ts";
import { runSluice } from "../support/vault-fixture.ts";

// `sluice site rotate-secret` in its own process, against a running gateway: with
// --grace-s the old secret still signs requests and tickets until the grace ends, the
// new one signs at once, and nothing else ever does; without it the old one stops at once.

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(async () => {
  await gateway?.stop();
});

/** A signed buffered chat, signed with `secret`; its status and error code. */
async function chatSignedWith(secret: string): Promise<{ status: number; code?: string }> {
  const body = JSON.stringify(chatBody("Hello", { stream: false }));
  const response = await fetch(`${gateway.url}/v1/chat`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...signedHeaders({ siteId: gateway.siteId, secret, method: "POST", path: "/v1/chat", body }),
    },
    body,
  });
  const json = (await response.json()) as { error?: { code: string } };
  return { status: response.status, ...(json.error ? { code: json.error.code } : {}) };
}

/** A direct chat with a ticket the plugin would make with `secret`. */
async function directWith(secret: string): Promise<number> {
  const origin = "https://blog.example";
  const { ticket, requestBody } = issueTicket({
    siteId: gateway.siteId,
    secret,
    origin,
    body: JSON.stringify(chatBody("Hello", { stream: false })),
  });
  const response = await fetch(`${gateway.url}/v1/direct/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Sluice-Ticket": ticket, Origin: origin },
    body: requestBody,
  });
  await response.arrayBuffer();
  return response.status;
}

function rotate(args: string[]) {
  const result = runSluice(gateway.dir, ["site", "rotate-secret", gateway.siteId, ...args], {
    env: { SLUICE_LOG_LEVEL: "silent" },
  });
  expect(result.status, result.stderr).toBe(0);
  return { secret: result.stdout.trim(), said: result.stderr };
}

const OTHER = "some-other-secret-that-is-long-enough-0001";

describe("sluice site rotate-secret", () => {
  it("with --grace-s: old and new secret sign requests and tickets until the grace ends", async () => {
    const old = gateway.secret;
    expect((await chatSignedWith(old)).status).toBe(200);
    const { secret: next, said } = rotate(["--grace-s", "2"]);
    expect(next).not.toBe(old);
    expect(next.length).toBeGreaterThanOrEqual(32);
    expect(said).toMatch(/still signs requests until \d{4}-\d\d-\d\dT.*\(2 s\)/);

    expect(await chatSignedWith(next)).toEqual({ status: 200 });
    expect(await chatSignedWith(old)).toEqual({ status: 200 });
    expect(await chatSignedWith(OTHER)).toEqual({ status: 401, code: "signature_invalid" });
    expect(await directWith(next)).toBe(200);
    expect(await directWith(old)).toBe(200);
    expect(await directWith(OTHER)).toBe(401);

    await delay(2200);
    expect(await chatSignedWith(old)).toEqual({ status: 401, code: "signature_invalid" });
    expect(await directWith(old)).toBe(401);
    expect(await chatSignedWith(next)).toEqual({ status: 200 });
    gateway.secret = next;
  });

  it("without --grace-s: the old secret stops at once; a later rotation replaces the grace", async () => {
    const old = gateway.secret;
    const { secret: next, said } = rotate([]);
    expect(said).toContain("no longer signs anything");
    expect(await chatSignedWith(old)).toEqual({ status: 401, code: "signature_invalid" });
    expect(await directWith(old)).toBe(401);
    expect(await chatSignedWith(next)).toEqual({ status: 200 });

    // Two rotations with grace: only the last secret replaced keeps it.
    const second = rotate(["--grace-s", "600"]).secret;
    const third = rotate(["--grace-s", "600"]).secret;
    expect(await chatSignedWith(third)).toEqual({ status: 200 });
    expect(await chatSignedWith(second)).toEqual({ status: 200 });
    expect(await chatSignedWith(next)).toEqual({ status: 401, code: "signature_invalid" });
    gateway.secret = third;
  });

  it("keeps the old secret sealed in the vault (never in clear) and records the grace in the audit log", () => {
    const db = new Database(`${gateway.dir}/sluice.db`, { readonly: true });
    try {
      const row = db
        .prepare("SELECT previous_secret_sealed, previous_secret_until FROM sites WHERE id = ?")
        .get(gateway.siteId) as { previous_secret_sealed: string; previous_secret_until: number };
      expect(row.previous_secret_sealed).toMatch(/^v3:/);
      expect(row.previous_secret_until).toBeGreaterThan(Date.now());
      const details = db
        .prepare("SELECT details FROM audit_log WHERE event = 'site.secret_rotated' ORDER BY id")
        .pluck()
        .all() as string[];
      expect(details.map((text) => JSON.parse(text).grace_s)).toEqual([2, 0, 600, 600]);
    } finally {
      db.close();
    }
    const listed = runSluice(gateway.dir, ["audit", "verify"], {
      env: { SLUICE_LOG_LEVEL: "silent" },
    });
    expect(listed.status, listed.stdout + listed.stderr).toBe(0);
  });

  it("refuses a grace longer than a day, naming the flag", () => {
    const result = runSluice(gateway.dir, [
      "site",
      "rotate-secret",
      gateway.siteId,
      "--grace-s",
      "90000",
    ]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("--grace-s must be a whole number of seconds from 0 to 86400");
  });
});
