import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../server/ledger/db.ts";
import { openVault } from "../../server/ledger/kek.ts";
import { SiteStore } from "../../server/ledger/sites.ts";
import { ProviderKeyStore } from "../../server/vault/provider-keys.ts";
import { Vault } from "../../server/vault/vault.ts";
import { forEachMessage, startTestGateway, type TestGateway } from "../support/gateway.ts";

const BIN = fileURLToPath(new URL("../../bin/sluice.js", import.meta.url));
const SECRET = "cli-test-secret-0123456789abcdefghijkl";

/** Runs `sluice …` as a user would, in its own process, against `dataDir` (also its cwd by default). */
function sluice(dataDir: string, args: string[], input?: string, cwd = dataDir) {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("SLUICE_")) env[name] = value;
  }
  env.SLUICE_DATA_DIR = dataDir;
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env,
    cwd,
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
    expect(list.stdout).toMatch(/^openai\tsite \*\tenv \*\tset \d{4}-.*\t0 days old$/m);
    expect(`${set.stdout}${list.stdout}${list.stderr}`).not.toContain(key);
    expect(sluice(dir, ["key", "set", "nosuch", "--value=x"]).status).toBe(2);
    expect(sluice(dir, ["key", "remove", "openai"]).stdout).toContain("removed the openai key");
    expect(sluice(dir, ["key", "list"]).stdout).not.toContain("openai");
  });

  it("takes a site's secret from a file or stdin, keeping it off the command line", () => {
    const stored = (site: string) => {
      const db = openDatabase(join(dir, "sluice.db"));
      const vault = Vault.open({ key: undefined, keyPath: join(dir, "vault.key") });
      try {
        return new SiteStore(db, vault).secretFor(site);
      } finally {
        db.close();
      }
    };
    const fromFile = "file-secret-0123456789abcdefghijklmnop";
    const secretFile = join(dir, "site.secret");
    writeFileSync(secretFile, `${fromFile}\n`, { mode: 0o600 });
    const added = sluice(dir, ["site", "add", "filed", "--secret-file", secretFile]);
    expect(added.status).toBe(0);
    expect(added.stdout.trim()).toBe(fromFile);
    expect(stored("filed")).toBe(fromFile);

    const fromStdin = "stdin-secret-0123456789abcdefghijklmno";
    const rotated = sluice(dir, ["site", "rotate-secret", "filed", "--secret", "-"], fromStdin);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout.trim()).toBe(fromStdin);
    expect(stored("filed")).toBe(fromStdin);
    const piped = sluice(dir, ["site", "add", "piped", "--secret-file=-"], `${fromFile}\n`);
    expect(piped.status).toBe(0);
    expect(stored("piped")).toBe(fromFile);

    const both = sluice(dir, ["site", "add", "x", "--secret", SECRET, "--secret-file", secretFile]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("give --secret or --secret-file, not both");
    const missing = sluice(dir, ["site", "add", "x", "--secret-file", join(dir, "nope")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`--secret-file ${join(dir, "nope")} cannot be read (ENOENT)`);
    writeFileSync(join(dir, "empty.secret"), "\n");
    const empty = sluice(dir, ["site", "add", "x", "--secret-file", join(dir, "empty.secret")]);
    expect(empty.stderr).toContain("is empty");
    expect(sluice(dir, ["site", "list"]).stdout).not.toMatch(/^x\t/m);

    const help = sluice(dir, ["--help"]).stdout;
    expect(help).toContain("--secret-file PATH");
    expect(help).toContain("--value-file PATH");
    expect(help).toMatch(/other users of this\s+machine can read it \(ps/);
  });

  it("stores a provider key from --value-file or --value -", () => {
    const storedKey = () => {
      const db = openDatabase(join(dir, "sluice.db"));
      const vault = Vault.open({ key: undefined, keyPath: join(dir, "vault.key") });
      try {
        return new ProviderKeyStore(db, vault).resolve("mistral", "default", undefined)?.key;
      } finally {
        db.close();
      }
    };
    const keyFile = join(dir, "mistral.key");
    writeFileSync(keyFile, "mistral-from-file-0123456789\n", { mode: 0o600 });
    const set = sluice(dir, ["key", "set", "mistral", "--value-file", keyFile]);
    expect(set.status).toBe(0);
    expect(set.stdout).not.toContain("mistral-from-file");
    expect(storedKey()).toBe("mistral-from-file-0123456789");
    expect(
      sluice(dir, ["key", "set", "mistral", "--value", "-"], "mistral-stdin-0123456789").status,
    ).toBe(0);
    expect(storedKey()).toBe("mistral-stdin-0123456789");
    const both = sluice(dir, [
      "key",
      "set",
      "mistral",
      "--value=abcdefghij",
      `--value-file=${keyFile}`,
    ]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("give --value or --value-file, not both");
  });

  it("stores keys per scope, lists them with their age, warns about old ones, and rotates one", () => {
    const scoped = join(dir, "scoped");
    expect(sluice(scoped, ["site", "add", "blog"], undefined, dir).status).toBe(0);
    const set = (args: string[], key: string) => sluice(scoped, ["key", ...args], key, dir);
    expect(set(["set", "openai"], "sk-everywhere-0001").status).toBe(0);
    const blogProd = set(["set", "openai", "--site", "blog", "--env", "prod"], "sk-blog-prod-02");
    expect(blogProd.stdout).toBe(
      "stored the openai (site blog, environment prod) key in the vault\n",
    );
    const unknownSite = set(["set", "openai", "--site", "nosuch"], "sk-nosuch-site-03");
    expect(unknownSite.status).toBe(2);
    expect(unknownSite.stderr).toContain('no site "nosuch"; add it with: sluice site add nosuch');
    expect(set(["set", "openai", "--env", "Prod!"], "sk-bad-env-04").stderr).toContain(
      '--env "Prod!" is not valid',
    );

    // A key set 45 days ago.
    const db = openDatabase(join(scoped, "sluice.db"));
    const vault = openVault(db, { key: undefined, keyPath: join(scoped, "vault.key") });
    new ProviderKeyStore(db, vault).set(
      { provider: "mistral", environment: "staging", siteId: null },
      "mistral-old-key-0005",
      Date.now() - 45 * 86_400_000,
    );
    db.close();
    const list = sluice(scoped, ["key", "list"], undefined, dir);
    expect(list.status).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^mistral\tsite \*\tenv staging\tset \S+\t45 days old\t/);
    expect(lines[0]).toContain(
      "OLDER THAN 30 DAYS (SLUICE_KEY_MAX_AGE_DAYS): rotate it with sluice key rotate mistral --env staging",
    );
    expect(lines[1]).toMatch(/^openai\tsite \*\tenv \*\tset \S+\t0 days old$/);
    expect(lines[2]).toMatch(/^openai\tsite blog\tenv prod\tset \S+\t0 days old$/);
    expect(list.stderr).toContain('this environment (SLUICE_ENV) is "default"');
    const json = JSON.parse(sluice(scoped, ["key", "list", "--json"], undefined, dir).stdout);
    expect(json.keys[0]).toMatchObject({ provider: "mistral", age_days: 45, over_max_age: true });

    const rotate = (args: string[], key: string) =>
      sluice(scoped, ["key", "rotate", "mistral", ...args], key, dir);
    const missing = rotate(["--env", "prod"], "mistral-new-key-0006");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("no mistral (every site, environment prod) key is stored");
    const rotated = rotate(["--env", "staging", "--grace-s", "60"], "mistral-new-key-0006");
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toMatch(/stays usable until \S+ \(60 s\), then is deleted/);
    const after = sluice(scoped, ["key", "list"], undefined, dir).stdout.split("\n")[0];
    expect(after).toMatch(/^mistral\tsite \*\tenv staging\tset \S+\t0 days old\t/);
    expect(after).toContain("the key it replaced is usable until");
    expect(after).not.toContain("OLDER THAN");
    expect(list.stdout + rotated.stdout + after).not.toMatch(/mistral-(old|new)-key/);

    expect(
      sluice(scoped, ["key", "remove", "openai", "--site", "blog", "--env", "prod"], undefined, dir)
        .stdout,
    ).toBe("removed the openai (site blog, environment prod) key\n");
  });

  it("makes its data dir 0700 and refuses a vault key file open to others", () => {
    const dataDir = join(dir, "fresh", "data");
    expect(sluice(dataDir, ["site", "list"], undefined, dir).status).toBe(0);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const keyPath = join(dataDir, "vault.key");
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    chmodSync(keyPath, 0o644);
    const refused = sluice(dataDir, ["site", "list"], undefined, dir);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(
      `sluice: the vault key file ${keyPath} can be read or written by group or others (mode 0644); fix it with: chmod 600 ${keyPath}\n`,
    );
    chmodSync(keyPath, 0o600);
    expect(sluice(dataDir, ["site", "list"], undefined, dir).status).toBe(0);
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
    expect(text.stdout).toMatch(/^chat block +1 +\d+ +\d+ +\$\d+\.\d{6}$/m);
    expect(text.stdout).toMatch(/^total +1 /m);

    const json = JSON.parse(sluice(gateway.dir, ["usage", gateway.siteId, "--json"]).stdout);
    expect(json.by_day).toHaveLength(7);
    expect(json.total.requests).toBe(1);
    expect(json.total.cost_picousd).toBe(cost);
    expect(sluice(gateway.dir, ["usage", gateway.siteId, "--days", "0"]).status).toBe(2);
    expect(sluice(gateway.dir, ["usage", "nosuch"]).status).toBe(2);
  });

  it("lists a site's origins for CORS, and makes a ticket the direct route accepts", async () => {
    const origin = "https://blog.example";
    const set = sluice(gateway.dir, ["site", "set-origins", gateway.siteId, origin]);
    expect(set.status).toBe(0);
    expect(sluice(gateway.dir, ["site", "list"]).stdout).toMatch(
      new RegExp(`^${gateway.siteId}\tcreated .*\torigins ${origin}$`, "m"),
    );
    const bad = sluice(gateway.dir, [
      "site",
      "set-origins",
      gateway.siteId,
      "https://blog.example/",
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("not an origin");

    const body = JSON.stringify({ messages: [{ role: "user", content: "Hello" }], stream: false });
    const made = sluice(gateway.dir, ["ticket", gateway.siteId, origin, body]);
    expect(made.status).toBe(0);
    // curl flags: -HName:value … -d<body>, separated by spaces.
    const headers: Record<string, string> = {};
    let requestBody = "";
    for (const flag of made.stdout.trim().split(" ")) {
      if (flag.startsWith("-d")) {
        requestBody = flag.slice(2);
        continue;
      }
      const [name, ...value] = flag.replace(/^-H/, "").split(":");
      headers[name as string] = value.join(":");
    }
    expect(requestBody).not.toContain("Hello");
    const response = await fetch(`${gateway.url}/v1/direct/chat`, {
      method: "POST",
      headers,
      body: requestBody,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(origin);
    expect(((await response.json()) as { content: string }).content.length).toBeGreaterThan(0);

    const cleared = sluice(gateway.dir, ["site", "set-origins", gateway.siteId]);
    expect(cleared.stdout).toContain("same-origin pages only");
    expect(sluice(gateway.dir, ["site", "list"]).stdout).not.toContain("origins");
  });
});
