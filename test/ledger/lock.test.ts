import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import { startGateway } from "../../server/serve.ts";
import { chatBody, readEvents, startTestGateway, type TestGateway } from "../support/gateway.ts";

const BIN = fileURLToPath(new URL("../../bin/sluice.js", import.meta.url));

function cliEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("SLUICE_")) env[name] = value;
  }
  return { ...env, SLUICE_DATA_DIR: dataDir, SLUICE_PORT: "0", SLUICE_LOG_LEVEL: "info" };
}

/** `sluice serve` in its own process; resolves once it listens. */
function serveInChild(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, "serve"], { env: cliEnv(dataDir), cwd: dataDir });
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (part: Buffer) => {
      output += part.toString();
      if (output.includes("sluice gateway listening")) resolve(child);
    });
    child.stderr?.on("data", (part: Buffer) => {
      output += part.toString();
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${output}`)));
  });
}

describe("one serving gateway per database file", () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ SLUICE_DEMO_DELAY_MS: "20" });
  });
  afterAll(() => gateway.stop());

  it("refuses a second gateway on the same file, naming the file and the running pid", async () => {
    // A chat in flight on the first gateway while the second one tries to start.
    const response = await gateway.request("/v1/chat", { body: chatBody("tell me a story") });
    const second = spawnSync(process.execPath, [BIN, "serve"], {
      env: cliEnv(gateway.dir),
      cwd: gateway.dir,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(second.status).toBe(2);
    expect(second.stderr).toContain(
      `another gateway is already serving ${gateway.services.config.dbPath}`,
    );
    expect(second.stderr).toContain(`pid ${process.pid}`);
    console.log(`second gateway refused: ${second.stderr.trim()}`);

    // The first gateway's open request was not closed as interrupted by the second's recovery.
    const events = await readEvents(response);
    const final = events.find((event) => event.event === "usage_final")?.json ?? {};
    const row = gateway.services.db
      .prepare("SELECT status, cost_picousd FROM requests WHERE id = ?")
      .get(String(final.request_id));
    expect(row).toEqual({ status: "ok", cost_picousd: final.cost_picousd });
    const spent = gateway.services.db
      .prepare("SELECT SUM(settled_picousd) FROM spend_counters WHERE scope = 'month'")
      .pluck()
      .get();
    expect(spent).toBe(final.cost_picousd);
  });

  it("refuses an in-process second start too, and allows one once the first has stopped", async () => {
    const config = loadConfig({
      SLUICE_DATA_DIR: gateway.dir,
      SLUICE_PORT: "0",
      SLUICE_LOG_LEVEL: "silent",
    });
    await expect(startGateway(config)).rejects.toThrow(/another gateway is already serving/);
    const dir = mkdtempSync(join(tmpdir(), "sluice-lock-"));
    try {
      const first = await startGateway(
        loadConfig({ SLUICE_DATA_DIR: dir, SLUICE_PORT: "0", SLUICE_LOG_LEVEL: "silent" }),
      );
      await first.close();
      expect(existsSync(join(dir, "sluice.db.lock.json"))).toBe(false);
      const again = await startGateway(
        loadConfig({ SLUICE_DATA_DIR: dir, SLUICE_PORT: "0", SLUICE_LOG_LEVEL: "silent" }),
      );
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a gateway killed without shutting down", () => {
  it("leaves no lock behind: the next one starts at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-lock-"));
    try {
      const child = await serveInChild(dir);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
      // The owner note is still there, but the lock went with the process.
      expect(existsSync(join(dir, "sluice.db.lock.json"))).toBe(true);
      const next = await startGateway(
        loadConfig({ SLUICE_DATA_DIR: dir, SLUICE_PORT: "0", SLUICE_LOG_LEVEL: "silent" }),
      );
      await next.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
