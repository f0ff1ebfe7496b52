import { createCipheriv, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../server/ledger/db.ts";
import { newSecret, SiteStore } from "../../server/ledger/sites.ts";
import { type KeyScope, ProviderKeyStore } from "../../server/vault/provider-keys.ts";
import { Vault } from "../../server/vault/vault.ts";

const dir = () => mkdtempSync(join(tmpdir(), "sluice-vault-"));
/** A key for every site in every environment: the only scope there was before scopes. */
const everywhere = (provider: KeyScope["provider"]): KeyScope => ({
  provider,
  environment: null,
  siteId: null,
});
const storedKey = (keys: ProviderKeyStore, provider: KeyScope["provider"]) =>
  keys.resolve(provider, "default", undefined)?.key;

/** A value as the vault sealed it before values were bound to their row: `v1:iv:tag:ciphertext`. */
function sealUnbound(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", ...[iv, cipher.getAuthTag(), sealed].map((part) => part.toString("base64"))].join(
    ":",
  );
}

/** The sealed value with its auth tags (the data key's and the data's in v3) cut to `bytes`. */
function withTagCutTo(sealed: string, bytes: number): string {
  const parts = sealed.split(":");
  const tags = parts[0] === "v3" ? [3, 6] : [2];
  for (const index of tags) {
    parts[index] = Buffer.from(parts[index] as string, "base64")
      .subarray(0, bytes)
      .toString("base64");
  }
  return parts.join(":");
}

describe("the vault", () => {
  it("seals and opens a value, with a fresh IV each time", () => {
    const vault = Vault.open({ key: undefined, keyPath: join(dir(), "vault.key") });
    const first = vault.seal("sk-live-123456", "provider_key:openai");
    const second = vault.seal("sk-live-123456", "provider_key:openai");
    expect(first).not.toBe(second);
    expect(first).not.toContain("sk-live");
    expect(first.startsWith(`v3:${vault.kekId}:`)).toBe(true);
    expect(vault.open(first, "provider_key:openai")).toBe("sk-live-123456");
    expect(vault.open(second, "provider_key:openai")).toBe("sk-live-123456");
  });

  it("creates its key file with mode 0600 and reuses it", () => {
    const keyPath = join(dir(), "nested", "vault.key");
    const sealed = Vault.open({ key: undefined, keyPath }).seal("hello", "site_secret:a");
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(keyPath, "utf8").trim(), "base64")).toHaveLength(32);
    expect(Vault.open({ key: undefined, keyPath }).open(sealed, "site_secret:a")).toBe("hello");
  });

  it("refuses tampered data and the wrong key", () => {
    const vault = new Vault(Buffer.alloc(32, 1));
    const sealed = vault.seal("secret value", "site_secret:blog");
    for (const index of [4, 7]) {
      // The sealed data key, then the sealed data.
      const parts = sealed.split(":");
      const body = Buffer.from(parts[index] as string, "base64");
      body[0] = (body[0] as number) ^ 1;
      parts[index] = body.toString("base64");
      expect(() => vault.open(parts.join(":"), "site_secret:blog")).toThrow(/tampered/);
    }
    const otherKek = new Vault(Buffer.alloc(32, 2));
    expect(() => otherKek.open(sealed, "site_secret:blog")).toThrow(
      `the data key of site_secret:blog is sealed under KEK ${vault.kekId}, but the vault key is KEK ${otherKek.kekId}`,
    );
    const relabelled = sealed.replace(vault.kekId, otherKek.kekId);
    expect(() => otherKek.open(relabelled, "site_secret:blog")).toThrow(/wrong vault key/);
    expect(() => vault.open("plain text", "site_secret:blog")).toThrow(
      /site_secret:blog does not hold a sealed vault value/,
    );
  });

  it("binds a sealed value to its slot: opened for another slot it fails, naming that slot", () => {
    const vault = new Vault(Buffer.alloc(32, 4));
    const sealed = vault.seal("sk-ant-0123456789", "provider_key:openai");
    expect(vault.open(sealed, "provider_key:openai")).toBe("sk-ant-0123456789");
    expect(() => vault.open(sealed, "provider_key:anthropic")).toThrow(
      /the sealed value of provider_key:anthropic could not be opened: .*copied from another row/,
    );
    const secret = vault.seal("s".repeat(40), "site_secret:shop");
    expect(() => vault.open(secret, "site_secret:blog")).toThrow(/site_secret:blog/);
  });

  it("refuses an auth tag cut short (GCM would otherwise verify its first bytes only)", () => {
    const vault = new Vault(Buffer.alloc(32, 5));
    for (const sealed of [
      vault.seal("secret value", "site_secret:blog"),
      sealUnbound(Buffer.alloc(32, 5), "secret value"),
    ]) {
      for (const bytes of [4, 8, 12, 15]) {
        expect(() => vault.open(withTagCutTo(sealed, bytes), "site_secret:blog")).toThrow(
          new RegExp(`${bytes}-byte auth tag; 12 and 16 are required`),
        );
      }
      expect(vault.open(sealed, "site_secret:blog")).toBe("secret value");
    }
  });

  it("still opens a value sealed before values were bound to their row", () => {
    const key = Buffer.alloc(32, 6);
    const vault = new Vault(key);
    const legacy = sealUnbound(key, "sk-old-0123456789");
    expect(vault.isLegacy(legacy)).toBe(true);
    expect(vault.open(legacy, "provider_key:openai")).toBe("sk-old-0123456789");
    expect(vault.isLegacy(vault.seal("x", "provider_key:openai"))).toBe(false);
  });

  it("takes SLUICE_VAULT_KEY as hex or base64 and rejects a short one", () => {
    const hex = "ab".repeat(32);
    const sealed = Vault.open({ key: hex, keyPath: "/nonexistent" }).seal("x", "site_secret:a");
    const base64 = Buffer.from(hex, "hex").toString("base64");
    expect(Vault.open({ key: base64, keyPath: "/nonexistent" }).open(sealed, "site_secret:a")).toBe(
      "x",
    );
    expect(() => Vault.open({ key: "c2hvcnQ=", keyPath: "/nonexistent" })).toThrow(/32 bytes/);
  });
});

describe("stored secrets", () => {
  it("keep provider keys and site secrets encrypted in SQLite", () => {
    const path = join(dir(), "sluice.db");
    const db = openDatabase(path);
    const vault = new Vault(Buffer.alloc(32, 7));
    const keys = new ProviderKeyStore(db, vault);
    keys.set(everywhere("openai"), "sk-proj-abcdefghijklmnop");
    const sites = new SiteStore(db, vault);
    const secret = sites.add("blog");
    db.close();

    const files = [path, `${path}-wal`].filter((file) => existsSync(file));
    const raw = files.map((file) => readFileSync(file).toString("latin1")).join("");
    expect(raw).not.toContain("sk-proj-abcdefghijklmnop");
    expect(raw).not.toContain(secret);

    const reopened = openDatabase(path);
    expect(storedKey(new ProviderKeyStore(reopened, vault), "openai")).toBe(
      "sk-proj-abcdefghijklmnop",
    );
    expect(new ProviderKeyStore(reopened, vault).list().map((entry) => entry.provider)).toEqual([
      "openai",
    ]);
    expect(new SiteStore(reopened, vault).secretFor("blog")).toBe(secret);
    reopened.close();
  });

  it("refuse a provider key or site secret copied into another row, naming the row", () => {
    const db = openDatabase(join(dir(), "sluice.db"));
    const vault = new Vault(Buffer.alloc(32, 8));
    const keys = new ProviderKeyStore(db, vault);
    keys.set(everywhere("openai"), "sk-proj-openai-0123456789");
    keys.set(everywhere("mistral"), "mistral-key-0123456789");
    db.prepare(
      "UPDATE provider_keys SET key_sealed = (SELECT key_sealed FROM provider_keys WHERE provider = 'openai') WHERE provider = 'mistral'",
    ).run();
    expect(storedKey(keys, "openai")).toBe("sk-proj-openai-0123456789");
    expect(() => storedKey(keys, "mistral")).toThrow(/provider_key:mistral could not be opened/);

    const sites = new SiteStore(db, vault);
    const shopSecret = sites.add("shop");
    sites.add("blog");
    db.prepare(
      "UPDATE sites SET secret_sealed = (SELECT secret_sealed FROM sites WHERE id = 'shop') WHERE id = 'blog'",
    ).run();
    expect(sites.secretFor("shop")).toBe(shopSecret);
    expect(() => new SiteStore(db, vault).secretFor("blog")).toThrow(
      /site_secret:blog could not be opened/,
    );
    db.close();
  });

  it("seal a value stored before envelope encryption anew when it is read, under a data key of its own", () => {
    const key = Buffer.alloc(32, 9);
    const vault = new Vault(key);
    const db = openDatabase(join(dir(), "sluice.db"));
    const siteSecret = "legacy-site-secret-0123456789abcdef";
    db.prepare(
      "INSERT INTO provider_keys (provider, environment, site_id, key_sealed, set_at) VALUES (?, '*', '*', ?, 0)",
    ).run("openai", sealUnbound(key, "sk-legacy-0123456789"));
    db.prepare(
      "INSERT INTO sites (id, secret_sealed, created_at, secret_rotated_at) VALUES (?, ?, 0, 0)",
    ).run("old-site", sealUnbound(key, siteSecret));

    expect(storedKey(new ProviderKeyStore(db, vault), "openai")).toBe("sk-legacy-0123456789");
    expect(new SiteStore(db, vault).secretFor("old-site")).toBe(siteSecret);
    const stored = () =>
      db
        .prepare(
          "SELECT (SELECT key_sealed FROM provider_keys WHERE provider = 'openai') AS key, (SELECT secret_sealed FROM sites WHERE id = 'old-site') AS secret",
        )
        .get() as { key: string; secret: string };
    expect(stored().key).toMatch(/^v3:/);
    expect(stored().secret).toMatch(/^v3:/);
    expect(vault.open(stored().key, "provider_key:openai")).toBe("sk-legacy-0123456789");
    expect(vault.open(stored().secret, "site_secret:old-site")).toBe(siteSecret);
    expect(() => vault.open(stored().key, "provider_key:xai")).toThrow(/provider_key:xai/);
    expect(new SiteStore(db, vault).secretFor("old-site")).toBe(siteSecret);
    db.close();
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
