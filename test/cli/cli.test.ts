import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forEachMessage, startTestGateway, type TestGateway } from "../support/gateway.ts";

const BIN = fileURLToPath(new URL("../../bin/sluice.js", import.meta.url));
const SECRET = "cli-test-secret-0123456789abcdefghijkl";

/** Runs `sluice …` as a user would, in its own process, against `dataDir`. */
function sluice(dataDir: string, args: string[], input?: string) {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("SLUICE_")) env[name] = value;
  }
  env.SLUICE_DATA_DIR = dataDir;
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env,
    cwd: dataDir,
    encoding: "utf8",
    timeout: 60_000,
    ...(input === undefined ? {} : { input }),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the sluice command", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-cli-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints its usage for help, and exits 2 with it for an unknown command", () => {
    const help = sluice(dir, ["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("sluice usage <site>");
    const unknown = sluice(dir, ["frobnicate"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown command: sluice frobnicate");
    const badOption = sluice(dir, ["site", "list", "--no-such-flag"]);
    expect(badOption.status).toBe(2);
    expect(badOption.stderr).toMatch(/^sluice: .*no-such-flag/);
  });

  it("adds, lists and rotates a site's secret", () => {
    const added = sluice(dir, ["site", "add", "shop", `--secret=${SECRET}`]);
    expect(added.status).toBe(0);
    expect(added.stdout.trim()).toBe(SECRET);
    expect(sluice(dir, ["site", "add", "shop"]).status).toBe(2);
    expect(sluice(dir, ["site", "list"]).stdout).toMatch(/^shop\tcreated \d{4}-/m);
    const rotated = sluice(dir, ["site", "rotate-secret", "shop"]).stdout.trim();
    expect(rotated.length).toBeGreaterThanOrEqual(32);
    expect(rotated).not.toBe(SECRET);
    expect(rotated.startsWith("-")).toBe(false);
  });

  it("stores a provider key from stdin without ever printing it", () => {
    const key = "sk-cli-test-never-printed";
    const set = sluice(dir, ["key", "set", "openai"], `${key}\n`);
    expect(set.status).toBe(0);
    const list = sluice(dir, ["key", "list"]);
    expect(list.stdout).toMatch(/^openai\tstored /m);
    expect(`${set.stdout}${list.stdout}${list.stderr}`).not.toContain(key);
    expect(sluice(dir, ["key", "set", "nosuch", "--value=x"]).status).toBe(2);
    expect(sluice(dir, ["key", "remove", "openai"]).stdout).toContain("removed the openai key");
    expect(sluice(dir, ["key", "list"]).stdout).not.toContain("openai");
  });

  it("sets the operator's policy and shows the effective one", () => {
    expect(sluice(dir, ["site", "add", "blog"]).status).toBe(0);
    const set = sluice(dir, [
      "policy",
      "set",
      "blog",
      "--day-usd",
      "2.5",
      "--timezone",
      "Europe/Paris",
    ]);
    expect(set.status).toBe(0);
    const shown = JSON.parse(sluice(dir, ["policy", "show", "blog"]).stdout);
    expect(shown.effective.day_usd).toBe(2.5);
    expect(shown.effective.timezone).toBe("Europe/Paris");
    const loose = sluice(dir, ["policy", "set", "blog", "--day-usd=-1"]);
    expect(loose.status).toBe(2);
    expect(loose.stderr).toContain("--day-usd: must not be negative");
    expect(sluice(dir, ["policy", "show", "nosuch"]).status).toBe(2);
  });
});

describe("sluice sign and sluice usage against a running gateway", () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop());

  it("signs a request the gateway accepts, then reports its spend", async () => {
    const body = JSON.stringify({ messages: [{ role: "user", content: "Hello" }], max_tokens: 8 });
    const signed = sluice(gateway.dir, ["sign", gateway.siteId, "POST", "/v1/chat", body]);
    expect(signed.status).toBe(0);
    // The output is curl flags: -HName:value, separated by spaces.
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    for (const flag of signed.stdout.trim().split(" ")) {
      const [name, ...value] = flag.replace(/^-H/, "").split(":");
      headers[name as string] = value.join(":");
    }
    const response = await fetch(`${gateway.url}/v1/chat`, { method: "POST", headers, body });
    expect(response.status).toBe(200);
    let cost = 0;
    await forEachMessage(response, (message) => {
      if (message.event === "usage_final") cost = JSON.parse(message.data).cost_picousd;
    });
    expect(cost).toBeGreaterThan(0);

    const text = sluice(gateway.dir, ["usage", gateway.siteId, "--days", "2"]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^demo\/sluice-demo +1 +\d+ +\d+ +\$\d+\.\d{6}$/m);
    expect(text.stdout).toMatch(/^total +1 /m);

    const json = JSON.parse(sluice(gateway.dir, ["usage", gateway.siteId, "--json"]).stdout);
    expect(json.by_day).toHaveLength(7);
    expect(json.total.requests).toBe(1);
    expect(json.total.cost_picousd).toBe(cost);
    expect(sluice(gateway.dir, ["usage", gateway.siteId, "--days", "0"]).status).toBe(2);
    expect(sluice(gateway.dir, ["usage", "nosuch"]).status).toBe(2);
  });
});
