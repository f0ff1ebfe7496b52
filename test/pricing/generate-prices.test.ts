import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parsePriceTable } from "../../server/pricing/table.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixtures/litellm-mini.json", import.meta.url));

function runGenerator(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/prices/cli.ts", "--source", FIXTURE, ...args],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("scripts/prices/cli.ts", { timeout: 20_000 }, () => {
  let dir: string;
  let out: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-prices-"));
    out = join(dir, "price-table.json");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a deterministic table and prints a summary", () => {
    const first = runGenerator("--out", out);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("models: 20");
    expect(first.stdout).toMatch(/qwen\s+2 models, 2 tiers/);
    expect(first.stdout).toContain("1 not within float noise");
    const written = readFileSync(out, "utf8");
    const table = parsePriceTable(JSON.parse(written), out);
    expect(table.models["demo/sluice-demo"]).toBeDefined();

    const second = runGenerator("--out", out);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain("changes: 0 added, 0 repriced");
    expect(readFileSync(out, "utf8")).toBe(written);
  });

  it("refuses to drop a model of the current table unless --allow-removals", () => {
    expect(runGenerator("--out", out).status).toBe(0);
    const table = JSON.parse(readFileSync(out, "utf8"));
    table.models["mistral/retired-model"] = { input: 1000, output: 2000 };
    table.models["openai/gpt-4o-mini"].cache_write = 9;
    const before = `${JSON.stringify(table, null, 2)}\n`;
    writeFileSync(out, before);

    const refused = runGenerator("--out", out);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("mistral/retired-model: model removed");
    expect(refused.stderr).toContain("openai/gpt-4o-mini: lost cache_write price");
    expect(refused.stderr).toContain("--allow-removals");
    expect(readFileSync(out, "utf8")).toBe(before);

    const allowed = runGenerator("--out", out, "--allow-removals");
    expect(allowed.status).toBe(0);
    const after = JSON.parse(readFileSync(out, "utf8"));
    expect(after.models["mistral/retired-model"]).toBeUndefined();
  });

  it("fails clearly when the source is missing", () => {
    const result = runGenerator("--out", out, "--source", join(dir, "missing.json"));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("price source not found");
  });
});
