import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import { signedHeaders } from "../../server/http/signature.ts";
import { HASH_PREFIX } from "../../server/ledger/metadata-privacy.ts";
import { type RunningGateway, startGateway } from "../../server/serve.ts";
import { runSluice } from "../support/vault-fixture.ts";

// SLUICE_HASH_METADATA=true against a real gateway and its SQLite file: visitor ids and
// a provider's error text are stored only as keyed hashes, per-visitor caps still hold,
// and the hashes stay the same across a restart and a KEK rotation.

/** What a provider's error might quote: a person's address and the prompt. */
const LEAKY_ERROR = "Bad request from alice@example.com: prompt 'my secret plan' is too long";
const VISITORS = { one: "wp.visitor-one-0000000001", two: "wp.visitor-two-0000000002" };
const SITE = "private-site";
const SECRET = "private-site-secret-0123456789abcdefghij";

let provider: Server;
let providerUrl: string;
const dirs: string[] = [];

beforeAll(async () => {
  // An OpenAI-style provider that refuses every call with a 400 quoting the visitor.
  provider = createServer(async (request, response) => {
    for await (const _ of request) {
      // Read the body to the end before answering.
    }
    response.writeHead(400, { "Content-Type": "application/json" });
    response.end(
      JSON.stringify({ error: { message: LEAKY_ERROR, type: "invalid_request_error" } }),
    );
  });
  await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
  providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  provider.closeAllConnections();
  await new Promise<void>((resolve) => provider.close(() => resolve()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function env(dir: string, hash: boolean): Record<string, string> {
  return {
    SLUICE_PORT: "0",
    SLUICE_DATA_DIR: dir,
    SLUICE_LOG_LEVEL: "silent",
    SLUICE_DEMO_DELAY_MS: "1",
    SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
    SLUICE_OPENAI_BASE_URL: providerUrl,
    SLUICE_RETRY_ATTEMPTS: "1",
    SLUICE_HASH_METADATA: String(hash),
  };
}

async function start(dir: string, hash: boolean): Promise<RunningGateway> {
  const gateway = await startGateway(loadConfig(env(dir, hash)));
  const known = gateway.services.sites.list().some((site) => site.id === SITE);
  if (!known) gateway.services.sites.add(SITE, SECRET);
  return gateway;
}

async function signed(
  gateway: RunningGateway,
  method: string,
  path: string,
  body: object | undefined,
): Promise<Response> {
  const text = body === undefined ? "" : JSON.stringify(body);
  return fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      "Content-Type": "application/json",
      ...signedHeaders({ siteId: SITE, secret: SECRET, method, path, body: text }),
    },
    ...(body === undefined ? {} : { body: text }),
  });
}

function ask(gateway: RunningGateway, visitor: string, model = "demo/sluice-demo", maxTokens = 64) {
  return signed(gateway, "POST", "/v1/chat", {
    messages: [{ role: "user", content: "Hello there" }],
    model,
    stream: false,
    user: visitor,
    max_tokens: maxTokens,
  });
}

interface Row {
  visitor: string | null;
  cost_picousd: number;
  error_message: string | null;
  status: string;
}

function rows(dir: string): Row[] {
  const db = new Database(join(dir, "sluice.db"), { readonly: true });
  try {
    return db
      .prepare(
        "SELECT visitor, error_message, status, cost_picousd FROM requests ORDER BY started_at, rowid",
      )
      .all() as Row[];
  } finally {
    db.close();
  }
}

/** Every byte the gateway keeps in its folder (database, WAL, journal), as text. */
function storedBytes(dir: string): string {
  return readdirSync(dir)
    .map((file) => {
      try {
        return readFileSync(join(dir, file)).toString("latin1");
      } catch {
        return "";
      }
    })
    .join("\n");
}

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sluice-metadata-"));
  dirs.push(dir);
  return dir;
}

describe("SLUICE_HASH_METADATA=true", () => {
  it("stores visitor ids and error texts only as keyed hashes, and keeps per-visitor caps", async () => {
    const dir = newDir();
    const gateway = await start(dir, true);
    try {
      expect((await ask(gateway, VISITORS.one)).status).toBe(200);
      expect((await ask(gateway, VISITORS.one)).status).toBe(200);
      expect((await ask(gateway, VISITORS.two)).status).toBe(200);
      expect((await ask(gateway, VISITORS.one, "openai/gpt-4o-mini")).status).toBe(502);
      await Promise.all(gateway.services.inflight);

      const stored = rows(dir);
      expect(stored).toHaveLength(4);
      const hashed = /^h1\.[A-Za-z0-9_-]{32}$/;
      for (const row of stored) expect(row.visitor).toMatch(hashed);
      const [first, second, other, failed] = stored as [Row, Row, Row, Row];
      expect(second.visitor, "the same visitor, the same hash").toBe(first.visitor);
      expect(other.visitor, "another visitor, another hash").not.toBe(first.visitor);
      expect(failed.visitor).toBe(first.visitor);
      expect(failed.status).toBe("error");
      expect(failed.error_message).toMatch(hashed);
      expect(failed.error_message).not.toBe(failed.visitor);

      // Nowhere in the gateway's files: not the ids, not the address, not the prompt.
      gateway.services.db.pragma("wal_checkpoint(TRUNCATE)");
      const bytes = storedBytes(dir);
      for (const secret of [VISITORS.one, VISITORS.two, "alice@example.com", "my secret plan"]) {
        expect(bytes.includes(secret), `${secret} is not stored`).toBe(false);
      }

      // The request list (the site's admin) shows the hash where the text was.
      const listed = (await (await signed(gateway, "GET", "/v1/requests", undefined)).json()) as {
        data: { error_message: string | null }[];
      };
      expect(listed.data.map((request) => request.error_message)).toContain(failed.error_message);

      // A per-visitor daily cap counts the hashed visitor: one (two answers) is over it, a
      // new visitor (none yet; a reservation of a short answer) is not.
      const capUsd = (first.cost_picousd * 1.5) / 1e12;
      const policy = await signed(gateway, "PUT", "/v1/policy", { visitor_day_usd: capUsd });
      expect(policy.status).toBe(200);
      const refused = await ask(gateway, VISITORS.one);
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { scope: string } }).error.scope).toBe(
        "visitor_day",
      );
      const fresh = await ask(gateway, "wp.visitor-three-000000003", "demo/sluice-demo", 4);
      expect(fresh.status, await fresh.clone().text()).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it("hashes a visitor the same way after a restart and after a KEK rotation", async () => {
    const dir = newDir();
    let gateway = await start(dir, true);
    expect((await ask(gateway, VISITORS.one)).status).toBe(200);
    await gateway.close();

    gateway = await start(dir, true);
    expect((await ask(gateway, VISITORS.one)).status).toBe(200);
    await gateway.close();

    const rotated = runSluice(dir, ["vault", "rotate-kek", "--generate"], { env: env(dir, true) });
    expect(rotated.status, rotated.stderr).toBe(0);
    gateway = await start(dir, true);
    try {
      expect((await ask(gateway, VISITORS.one)).status).toBe(200);
    } finally {
      await gateway.close();
    }
    const visitors = new Set(rows(dir).map((row) => row.visitor));
    expect(visitors.size).toBe(1);
    expect([...visitors][0]?.startsWith(HASH_PREFIX)).toBe(true);
  });
});

describe("SLUICE_HASH_METADATA unset", () => {
  it("stores the visitor id and the provider's text as they came", async () => {
    const dir = newDir();
    const gateway = await start(dir, false);
    try {
      expect((await ask(gateway, VISITORS.one, "openai/gpt-4o-mini")).status).toBe(502);
      await Promise.all(gateway.services.inflight);
    } finally {
      await gateway.close();
    }
    const [row] = rows(dir);
    expect(row?.visitor).toBe(VISITORS.one);
    expect(row?.error_message).toContain("alice@example.com");
  });
});
