import { createCipheriv, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../server/ledger/db.ts";
import { openVault, recordedKekId, rotateKek, SEALED_COLUMNS } from "../../server/ledger/kek.ts";
import { MIGRATIONS } from "../../server/ledger/migrations.ts";
import { SiteStore } from "../../server/ledger/sites.ts";
import { runKekCommand, splitCommand } from "../../server/vault/kek-source.ts";
import { stagedKeyPath, writeStagedKeyFile } from "../../server/vault/key-file.ts";
import { keyAge, ProviderKeyStore, providerKeySlot } from "../../server/vault/provider-keys.ts";
import { sealedKekId, Vault } from "../../server/vault/vault.ts";

const dirs: string[] = [];
const dir = () => {
  const made = mkdtempSync(join(tmpdir(), "sluice-envelope-"));
  dirs.push(made);
  return made;
};
afterEach(() => {
  for (const made of dirs.splice(0)) rmSync(made, { recursive: true, force: true });
});

const kek = (fill: number) => new Vault(Buffer.alloc(32, fill), `test KEK ${fill}`);
const fileSettings = (path: string) => ({ key: undefined, keyPath: join(path, "vault.key") });

/** A value as the vault sealed it directly under the master key: v1 (unbound) or v2 (bound to its slot). */
function sealDirect(key: Buffer, plaintext: string, slot?: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  if (slot) cipher.setAAD(Buffer.from(slot, "utf8"));
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [
    slot ? "v2" : "v1",
    ...[iv, cipher.getAuthTag(), sealed].map((part) => part.toString("base64")),
  ].join(":");
}

describe("envelope encryption", () => {
  it("seals each value under a data key of its own, sealed by the KEK and named by its id", () => {
    const vault = kek(1);
    const first = vault.seal("sk-same-secret-0123", "provider_key:openai").split(":");
    const second = vault.seal("sk-same-secret-0123", "provider_key:openai").split(":");
    expect(first).toHaveLength(8);
    expect(first[0]).toBe("v3");
    expect(first[1]).toBe(vault.kekId);
    expect(vault.kekId).toMatch(/^[0-9a-f]{16}$/);
    // Different data keys, sealed differently; the KEK id does not reveal the KEK.
    expect(first[4]).not.toBe(second[4]);
    expect(first[7]).not.toBe(second[7]);
    expect(vault.kekId).not.toContain(Buffer.alloc(32, 1).toString("hex").slice(0, 8));
    expect(kek(2).kekId).not.toBe(vault.kekId);
  });

  it("re-wraps a data key under another KEK, keeping the ciphertext byte for byte", () => {
    const [from, to] = [kek(3), kek(4)];
    const sealed = from.seal("site-secret-0123456789abcdef0123", "site_secret:blog");
    const rewrapped = from.rewrap(sealed, "site_secret:blog", to);
    expect(rewrapped.split(":").slice(5)).toEqual(sealed.split(":").slice(5));
    expect(rewrapped.split(":").slice(2, 5)).not.toEqual(sealed.split(":").slice(2, 5));
    expect(sealedKekId(rewrapped)).toBe(to.kekId);
    expect(to.open(rewrapped, "site_secret:blog")).toBe("site-secret-0123456789abcdef0123");
    expect(() => from.open(rewrapped, "site_secret:blog")).toThrow(
      `the data key of site_secret:blog is sealed under KEK ${to.kekId}, but test KEK 3 is KEK ${from.kekId}`,
    );
  });

  it("binds the sealed data key to its row: one moved with its data, or alone, does not open", () => {
    const vault = kek(5);
    const blog = vault.seal("blog-secret-0123456789abcdef0123", "site_secret:blog").split(":");
    const shop = vault.seal("shop-secret-0123456789abcdef0123", "site_secret:shop").split(":");
    expect(() => vault.open(blog.join(":"), "site_secret:shop")).toThrow(/site_secret:shop/);
    const shopDataUnderBlogKey = [...blog.slice(0, 5), ...shop.slice(5)].join(":");
    expect(() => vault.open(shopDataUnderBlogKey, "site_secret:blog")).toThrow(
      /could not be opened/,
    );
    // A sealed data key presented as a v2 value (sealed under the KEK, for this slot) does not open.
    const asV2 = ["v2", ...blog.slice(2, 5)].join(":");
    expect(() => vault.open(asV2, "site_secret:blog")).toThrow(/could not be opened/);
  });

  it("opens v1 and v2 values (sealed under the master key, now the KEK) and upgrades them on re-wrap", () => {
    const key = Buffer.alloc(32, 6);
    const [from, to] = [new Vault(key), kek(7)];
    for (const legacy of [
      sealDirect(key, "sk-legacy-v1-0123"),
      sealDirect(key, "sk-legacy-v2-0123", "provider_key:openai"),
    ]) {
      expect(from.isLegacy(legacy)).toBe(true);
      const upgraded = from.rewrap(legacy, "provider_key:openai", to);
      expect(upgraded.startsWith(`v3:${to.kekId}:`)).toBe(true);
      expect(to.open(upgraded, "provider_key:openai")).toBe(
        from.open(legacy, "provider_key:openai"),
      );
    }
  });
});

describe("the KEK the database records", () => {
  it("is recorded on first use, and a different KEK is then refused naming both ids", () => {
    const path = dir();
    const db = openDatabase(join(path, "sluice.db"));
    const hex = "ab".repeat(32);
    const vault = openVault(db, { key: hex, keyPath: "/nonexistent" });
    expect(recordedKekId(db)).toBe(vault.kekId);
    new SiteStore(db, vault).add("blog");
    const other = "cd".repeat(32);
    expect(() => openVault(db, { key: other, keyPath: "/nonexistent" })).toThrow(
      `the vault's data keys are sealed under KEK ${vault.kekId}, but SLUICE_VAULT_KEY is KEK ${new Vault(Buffer.from(other, "hex")).kekId}: set SLUICE_VAULT_KEY to the KEK given to sluice vault rotate-kek`,
    );
    db.close();
  });

  it("is checked against the secrets already stored before it is recorded (a vault from before KEK ids)", () => {
    const path = dir();
    const db = openDatabase(join(path, "sluice.db"));
    db.prepare(
      "INSERT INTO sites (id, secret_sealed, created_at, secret_rotated_at) VALUES ('blog', ?, 0, 0)",
    ).run(sealDirect(Buffer.alloc(32, 8), "blog-secret-0123456789abcdef0123", "site_secret:blog"));
    expect(() => openVault(db, { key: "09".repeat(32), keyPath: "/nonexistent" })).toThrow(
      /SLUICE_VAULT_KEY does not open the secrets already stored \(site_secret:blog\)/,
    );
    expect(recordedKekId(db)).toBeUndefined();
    const vault = openVault(db, { key: Buffer.alloc(32, 8).toString("base64"), keyPath: "/x" });
    expect(new SiteStore(db, vault).secretFor("blog")).toBe("blog-secret-0123456789abcdef0123");
    db.close();
  });

  it("never creates a new key file for a vault that holds secrets", () => {
    const path = dir();
    const db = openDatabase(join(path, "sluice.db"));
    const vault = openVault(db, fileSettings(path));
    new SiteStore(db, vault).add("blog");
    rmSync(join(path, "vault.key"));
    expect(() => openVault(db, fileSettings(path))).toThrow(
      /the vault key file .*vault\.key does not exist, and the vault holds secrets sealed under a KEK it should hold/,
    );
    expect(existsSync(join(path, "vault.key"))).toBe(false);
    db.close();
  });

  it("is taken from the staged file, and the swap finished, when a rotation stopped after its commit", () => {
    const path = dir();
    const db = openDatabase(join(path, "sluice.db"));
    const from = openVault(db, fileSettings(path));
    const secret = new SiteStore(db, from).add("blog");
    const newKey = randomBytes(32).toString("base64");
    const to = new Vault(Buffer.from(newKey, "base64"));
    // What rotate-kek leaves when it dies right after its commit.
    writeStagedKeyFile(join(path, "vault.key"), newKey);
    rotateKek(db, { from, to });
    expect(readFileSync(join(path, "vault.key"), "utf8").trim()).not.toBe(newKey);

    const reopened = openVault(db, fileSettings(path));
    expect(reopened.kekId).toBe(to.kekId);
    expect(readFileSync(join(path, "vault.key"), "utf8").trim()).toBe(newKey);
    expect(existsSync(stagedKeyPath(join(path, "vault.key")))).toBe(false);
    expect(new SiteStore(db, reopened).secretFor("blog")).toBe(secret);
    db.close();
  });

  it("re-wraps every column that holds a sealed value (each *_sealed column of the schema)", () => {
    const db = openDatabase(":memory:");
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .pluck()
      .all() as string[];
    const sealedColumns = tables.flatMap((table) =>
      (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[])
        .filter((column) => column.name.endsWith("_sealed"))
        .map((column) => `${table}.${column.name}`),
    );
    expect(sealedColumns.sort()).toEqual(
      SEALED_COLUMNS.map((column) => `${column.table}.${column.column}`).sort(),
    );
    db.close();
  });
});

describe("a KEK command", () => {
  const keyFile = (path: string) => {
    const file = join(path, "kek with space.b64");
    writeFileSync(file, `${Buffer.alloc(32, 9).toString("base64")}\n`, { mode: 0o600 });
    return file;
  };

  it("is run without a shell; its standard output is the KEK", () => {
    const file = keyFile(dir());
    const { key, source } = runKekCommand(`cat '${file}'`, "SLUICE_VAULT_KEK_COMMAND");
    expect(key.equals(Buffer.alloc(32, 9))).toBe(true);
    expect(source).toBe("SLUICE_VAULT_KEK_COMMAND (cat)");
    // No shell: $HOME, ; and | reach the command as they are.
    expect(() => runKekCommand("echo $HOME; true | cat", "SLUICE_VAULT_KEK_COMMAND")).toThrow(
      "the output of SLUICE_VAULT_KEK_COMMAND (echo) must hold 32 bytes, base64 or hex encoded",
    );
  });

  it("that fails is a clear error naming the command and how it failed, never its output", () => {
    expect(() => runKekCommand("false", "SLUICE_VAULT_KEK_COMMAND")).toThrow(
      "SLUICE_VAULT_KEK_COMMAND (false) failed: exit status 1",
    );
    expect(() =>
      runKekCommand(
        `${process.execPath} -e "console.log('sk-printed'); console.error('kms: access denied'); process.exit(3)"`,
        "SLUICE_VAULT_KEK_COMMAND",
      ),
    ).toThrow(/^SLUICE_VAULT_KEK_COMMAND \(.*node\) failed: exit status 3: kms: access denied$/);
    expect(() => runKekCommand("/nonexistent/kms-get", "SLUICE_VAULT_KEK_COMMAND")).toThrow(
      "SLUICE_VAULT_KEK_COMMAND (/nonexistent/kms-get) failed: no such command",
    );
    expect(() => runKekCommand("  ", "SLUICE_VAULT_KEK_COMMAND")).toThrow("is empty");
  });

  it("opens the vault in place of the key file", () => {
    const path = dir();
    const command = `cat "${keyFile(path)}"`;
    const db = openDatabase(join(path, "sluice.db"));
    const vault = openVault(db, { key: undefined, keyPath: join(path, "vault.key"), command });
    expect(vault.kekId).toBe(new Vault(Buffer.alloc(32, 9)).kekId);
    expect(existsSync(join(path, "vault.key"))).toBe(false);
    db.close();
  });

  it("is split into words as a shell would, with nothing else a shell does", () => {
    expect(splitCommand(`pass show "sluice/kek prod"`)).toEqual([
      "pass",
      "show",
      "sluice/kek prod",
    ]);
    expect(splitCommand(`aws kms decrypt --blob 'a b' x\\ y ""`)).toEqual([
      "aws",
      "kms",
      "decrypt",
      "--blob",
      "a b",
      "x y",
      "",
    ]);
    expect(splitCommand(`echo "a \\"q\\" \\\\ $HOME"`)).toEqual(["echo", 'a "q" \\ $HOME']);
    expect(() => splitCommand(`cat 'open`)).toThrow(/unbalanced '/);
  });
});

describe("scoped provider keys in the store", () => {
  it("resolve to the most specific scope, and never to another site's or environment's", () => {
    const db = openDatabase(":memory:");
    const keys = new ProviderKeyStore(db, kek(10));
    keys.set({ provider: "openai", environment: null, siteId: null }, "sk-everywhere-01");
    keys.set({ provider: "openai", environment: "prod", siteId: null }, "sk-prod-000002");
    keys.set({ provider: "openai", environment: null, siteId: "blog" }, "sk-blog-000003");
    keys.set({ provider: "openai", environment: "prod", siteId: "blog" }, "sk-blog-prod-4");
    keys.set({ provider: "openai", environment: "staging", siteId: "shop" }, "sk-shop-stg-05");
    const key = (environment: string, site?: string) =>
      keys.resolve("openai", environment, site)?.key;
    expect(key("prod", "blog")).toBe("sk-blog-prod-4");
    expect(key("staging", "blog")).toBe("sk-blog-000003");
    expect(key("prod", "shop")).toBe("sk-prod-000002");
    expect(key("staging", "shop")).toBe("sk-shop-stg-05");
    expect(key("default", "shop")).toBe("sk-everywhere-01");
    expect(key("prod")).toBe("sk-prod-000002");
    expect(key("staging")).toBe("sk-everywhere-01");
    expect(keys.resolve("mistral", "prod", "blog")).toBeUndefined();
    expect(keys.has("openai", "staging", "news")).toBe(true);
    keys.remove({ provider: "openai", environment: null, siteId: null });
    expect(keys.has("openai", "staging", "news")).toBe(false);
    expect(keys.resolve("openai", "staging", "news")).toBeUndefined();
    db.close();
  });

  it("are sealed for their scope: a key copied into another scope's row does not open", () => {
    const db = openDatabase(":memory:");
    const keys = new ProviderKeyStore(db, kek(11));
    keys.set({ provider: "openai", environment: null, siteId: "blog" }, "sk-blog-only-0001");
    keys.set({ provider: "openai", environment: null, siteId: "shop" }, "sk-shop-only-0002");
    db.prepare(
      "UPDATE provider_keys SET key_sealed = (SELECT key_sealed FROM provider_keys WHERE site_id = 'blog') WHERE site_id = 'shop'",
    ).run();
    expect(() => keys.resolve("openai", "default", "shop")).toThrow(
      /provider_key:openai\/env=\*\/site=shop could not be opened/,
    );
    expect(providerKeySlot({ provider: "openai", environment: "prod", siteId: null })).toBe(
      "provider_key:openai/env=prod/site=*",
    );
    db.close();
  });

  it("keep the key a rotation replaced for its grace period only, then delete it", () => {
    const db = openDatabase(":memory:");
    const keys = new ProviderKeyStore(db, kek(12));
    const scope = { provider: "openai" as const, environment: "prod", siteId: "blog" };
    keys.set(scope, "sk-old-key-00001", 1_000);
    const rotated = keys.rotate(scope, "sk-new-key-00002", 300_000, 2_000);
    expect(rotated).toMatchObject({ setAt: 2_000, previousUntil: 302_000 });
    const during = keys.resolve("openai", "prod", "blog", 3_000);
    expect(during?.key).toBe("sk-new-key-00002");
    expect(during?.openPrevious?.()).toBe("sk-old-key-00001");
    expect(keys.resolve("openai", "prod", "blog", 302_000)?.openPrevious).toBeUndefined();
    expect(db.prepare("SELECT previous_sealed FROM provider_keys").pluck().get()).toBeNull();
    keys.rotate(scope, "sk-newer-key-003", 0, 4_000);
    expect(keys.resolve("openai", "prod", "blog", 4_001)?.openPrevious).toBeUndefined();
    expect(() =>
      keys.rotate({ provider: "openai", environment: null, siteId: "blog" }, "sk-x-00000001", 1),
    ).toThrow(
      "no openai (site blog, every environment) key is stored to rotate; store one with: sluice key set openai --site blog",
    );
    db.close();
  });

  it("record when each was set: the rotation policy's age", () => {
    const day = 86_400_000;
    expect(keyAge(0, 31 * day, 30)).toEqual({ days: 31, overMaxAge: true });
    expect(keyAge(0, 30 * day, 30)).toEqual({ days: 30, overMaxAge: false });
    expect(keyAge(0, 400 * day, 0)).toEqual({ days: 400, overMaxAge: false });
  });

  it("stored before scopes serve every site in every environment after the migration, and still open", () => {
    const path = join(dir(), "sluice.db");
    const master = Buffer.alloc(32, 13);
    const before = new Database(path);
    before.exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    );
    for (const [index, sql] of MIGRATIONS.slice(0, 5).entries()) {
      before.exec(sql);
      before.prepare("INSERT INTO schema_migrations VALUES (?, 0)").run(index + 1);
    }
    before
      .prepare("INSERT INTO provider_keys (provider, key_sealed, updated_at) VALUES (?, ?, ?)")
      .run("openai", sealDirect(master, "sk-before-scopes-01", "provider_key:openai"), 1234);
    before.close();

    const db = openDatabase(path);
    const vault = openVault(db, { key: master.toString("hex"), keyPath: "/nonexistent" });
    const keys = new ProviderKeyStore(db, vault);
    expect(keys.list()).toEqual([
      { provider: "openai", environment: null, siteId: null, setAt: 1234, previousUntil: null },
    ]);
    expect(keys.resolve("openai", "prod", "any-site")?.key).toBe("sk-before-scopes-01");
    expect(db.prepare("SELECT key_sealed FROM provider_keys").pluck().get()).toMatch(/^v3:/);
    db.close();
  });
});
