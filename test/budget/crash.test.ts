import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import Database from "better-sqlite3";
import { createParser } from "eventsource-parser";
import { afterAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../server/http/signature.ts";

const SECRET = "crash-test-secret-0123456789-abcdefghij";
const dir = mkdtempSync(join(tmpdir(), "sluice-crash-"));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function env(port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SLUICE_DATA_DIR: dir,
    SLUICE_PORT: String(port),
    SLUICE_DEMO_DELAY_MS: "20",
    SLUICE_LOG_LEVEL: "warn",
  };
}

function cli(port: number, ...args: string[]): void {
  const result = spawnSync(process.execPath, ["bin/sluice.js", ...args], {
    env: env(port),
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`sluice ${args.join(" ")} failed: ${result.stderr}`);
}

async function serve(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["bin/sluice.js", "serve"], {
    env: env(port),
    stdio: "ignore",
  });
  children.push(child);
  for (let i = 0; i < 200; i += 1) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      await delay(50);
    }
  }
  throw new Error("the gateway did not start");
}

function signed(port: number, path: string, body = "", method = body ? "POST" : "GET") {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      "Content-Type": "application/json",
      ...signedHeaders({ siteId: "crash", secret: SECRET, method, path, body }),
    },
    ...(body ? { body } : {}),
  });
}

describe("a gateway killed mid-stream", () => {
  it("reclaims the reservation at the next start, bills the checkpointed usage, and keeps the cap right", async () => {
    const port = await freePort();
    cli(port, "site", "add", "crash", `--secret=${SECRET}`);
    cli(port, "policy", "set", "crash", "--day-usd", "0.01");
    const first = await serve(port);

    const body = JSON.stringify({
      messages: [{ role: "user", content: "Tell me a story" }],
      max_tokens: 1000,
    });
    const response = await signed(port, "/v1/chat", body);
    expect(response.status).toBe(200);
    let contents = 0;
    const parser = createParser({
      onEvent: (message) => {
        if (message.data.startsWith('{"type":"content"')) contents += 1;
      },
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const started = Date.now();
    // Read for more than a second, so at least one checkpoint was written.
    while (Date.now() - started < 1500) {
      const { done, value } = await reader.read();
      if (done) throw new Error("the stream ended before the crash");
      parser.feed(decoder.decode(value, { stream: true }));
    }
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    expect(contents).toBeGreaterThan(10);

    const db = new Database(join(dir, "sluice.db"));
    const crashed = db.prepare("SELECT id, status, output_tokens FROM requests").get() as {
      id: string;
      status: string;
      output_tokens: number;
    };
    expect(crashed.status).toBe("open");
    expect(crashed.output_tokens).toBeGreaterThan(0);
    expect(db.prepare("SELECT COUNT(*) FROM reservations").pluck().get()).toBe(1);
    const held = db
      .prepare("SELECT reserved_picousd FROM spend_counters WHERE scope = 'day'")
      .pluck()
      .get();
    expect(held).toBeGreaterThan(0);
    db.close();

    const second = await serve(port);
    const reopened = new Database(join(dir, "sluice.db"), { readonly: true });
    const recovered = reopened
      .prepare("SELECT * FROM requests WHERE id = ?")
      .get(crashed.id) as Record<string, unknown>;
    expect(recovered).toMatchObject({
      status: "interrupted",
      usage_source: "estimated",
      error_code: "gateway_restarted",
    });
    expect(recovered.cost_picousd).toBeGreaterThan(0);
    expect(reopened.prepare("SELECT COUNT(*) FROM reservations").pluck().get()).toBe(0);
    const counters = reopened
      .prepare(
        "SELECT settled_picousd AS settled, reserved_picousd AS reserved FROM spend_counters WHERE scope = 'day'",
      )
      .get();
    expect(counters).toEqual({ settled: recovered.cost_picousd, reserved: 0 });
    reopened.close();

    const policy = (await (await signed(port, "/v1/policy")).json()) as {
      spend: { today: { settled_usd: number; reserved_usd: number } };
    };
    expect(policy.spend.today.settled_usd).toBe((recovered.cost_picousd as number) / 1e12);
    expect(policy.spend.today.reserved_usd).toBe(0);
    const after = await signed(
      port,
      "/v1/chat",
      JSON.stringify({ messages: [{ role: "user", content: "Hi" }], stream: false }),
    );
    expect(after.status).toBe(200);
    second.kill("SIGTERM");
  }, 30_000);
});
