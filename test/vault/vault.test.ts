import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../server/ledger/db.ts";
import { newSecret, SiteStore } from "../../server/ledger/sites.ts";
import { ProviderKeyStore } from "../../server/vault/provider-keys.ts";
import { Vault } from "../../server/vault/vault.ts";

const dir = () => mkdtempSync(join(tmpdir(), "sluice-vault-"));

describe("the vault", () => {
  it("seals and opens a value, with a fresh IV each time", () => {
    const vault = Vault.open({ key: undefined, keyPath: join(dir(), "vault.key") });
    const first = vault.seal("sk-live-123456");
    const second = vault.seal("sk-live-123456");
    expect(first).not.toBe(second);
    expect(first).not.toContain("sk-live");
    expect(first.startsWith("v1:")).toBe(true);
    expect(vault.open(first)).toBe("sk-live-123456");
    expect(vault.open(second)).toBe("sk-live-123456");
  });

  it("creates its key file with mode 0600 and reuses it", () => {
    const keyPath = join(dir(), "nested", "vault.key");
    const sealed = Vault.open({ key: undefined, keyPath }).seal("hello");
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(keyPath, "utf8").trim(), "base64")).toHaveLength(32);
    expect(Vault.open({ key: undefined, keyPath }).open(sealed)).toBe("hello");
  });

  it("refuses tampered data and the wrong key", () => {
    const vault = new Vault(Buffer.alloc(32, 1));
    const sealed = vault.seal("secret value");
    const parts = sealed.split(":");
    const body = Buffer.from(parts[3] as string, "base64");
    body[0] = (body[0] as number) ^ 1;
    parts[3] = body.toString("base64");
    expect(() => vault.open(parts.join(":"))).toThrow(/tampered/);
    expect(() => new Vault(Buffer.alloc(32, 2)).open(sealed)).toThrow(/wrong vault key/);
    expect(() => vault.open("plain text")).toThrow(/not a sealed/);
  });

  it("takes SLUICE_VAULT_KEY as hex or base64 and rejects a short one", () => {
    const hex = "ab".repeat(32);
    const sealed = Vault.open({ key: hex, keyPath: "/nonexistent" }).seal("x");
    const base64 = Buffer.from(hex, "hex").toString("base64");
    expect(Vault.open({ key: base64, keyPath: "/nonexistent" }).open(sealed)).toBe("x");
    expect(() => Vault.open({ key: "c2hvcnQ=", keyPath: "/nonexistent" })).toThrow(/32 bytes/);
  });
});

describe("stored secrets", () => {
  it("keep provider keys and site secrets encrypted in SQLite", () => {
    const path = join(dir(), "sluice.db");
    const db = openDatabase(path);
    const vault = new Vault(Buffer.alloc(32, 7));
    const keys = new ProviderKeyStore(db, vault);
    keys.set("openai", "sk-proj-abcdefghijklmnop");
    const sites = new SiteStore(db, vault);
    const secret = sites.add("blog");
    db.close();

    const files = [path, `${path}-wal`].filter((file) => existsSync(file));
    const raw = files.map((file) => readFileSync(file).toString("latin1")).join("");
    expect(raw).not.toContain("sk-proj-abcdefghijklmnop");
    expect(raw).not.toContain(secret);

    const reopened = openDatabase(path);
    expect(new ProviderKeyStore(reopened, vault).get("openai")).toBe("sk-proj-abcdefghijklmnop");
    expect(new ProviderKeyStore(reopened, vault).list().map((entry) => entry.provider)).toEqual([
      "openai",
    ]);
    expect(new SiteStore(reopened, vault).secretFor("blog")).toBe(secret);
    reopened.close();
  });

  it("generates secrets that never start with a dash (a CLI would read one as an option)", () => {
    // base64url starts with "-" one time in 64: 2,000 draws would show it.
    const secrets = Array.from({ length: 2000 }, () => newSecret());
    expect(secrets.filter((secret) => secret.startsWith("-"))).toEqual([]);
    expect(new Set(secrets).size).toBe(2000);
    expect(secrets.every((secret) => /^[A-Za-z0-9_-]{43}$/.test(secret))).toBe(true);
  });

  it("validates site ids and secrets", () => {
    const sites = new SiteStore(openDatabase(":memory:"), new Vault(Buffer.alloc(32, 3)));
    expect(() => sites.add("Bad Site")).toThrow(/not valid/);
    expect(() => sites.add("ok-site", "short")).toThrow(/at least 32/);
    sites.add("ok-site");
    expect(() => sites.add("ok-site")).toThrow(/already exists/);
    expect(() => sites.rotateSecret("missing")).toThrow(/no site/);
  });
});
