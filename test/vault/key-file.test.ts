import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Vault } from "../../server/vault/vault.ts";

const dir = () => mkdtempSync(join(tmpdir(), "sluice-key-file-"));
const modeOf = (path: string) => statSync(path).mode & 0o7777;
const originalUmask = process.umask();

describe("the vault key file", () => {
  afterEach(() => {
    process.umask(originalUmask);
  });

  it("is created 0600 in directories made 0700, whatever the umask", () => {
    process.umask(0o000);
    const dataDir = join(dir(), "state", "data");
    const keyPath = join(dataDir, "vault.key");
    const sealed = Vault.open({ key: undefined, keyPath }).seal("hello", "site_secret:a");
    expect(modeOf(keyPath)).toBe(0o600);
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(join(dataDir, ".."))).toBe(0o700);
    expect(Buffer.from(readFileSync(keyPath, "utf8").trim(), "base64")).toHaveLength(32);
    expect(Vault.open({ key: undefined, keyPath }).open(sealed, "site_secret:a")).toBe("hello");
  });

  it("makes data/ 0700 when the database created it first with the umask's mode", () => {
    process.umask(0o022);
    const dataDir = join(dir(), "data");
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    Vault.open({ key: undefined, keyPath: join(dataDir, "vault.key") });
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(join(dataDir, "vault.key"))).toBe(0o600);
  });

  it("leaves a shared sticky directory such as /tmp as it is", () => {
    const shared = join(dir(), "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    Vault.open({ key: undefined, keyPath: join(shared, "vault.key") });
    expect(modeOf(shared)).toBe(0o1777);
    expect(modeOf(join(shared, "vault.key"))).toBe(0o600);
  });

  it("is refused when group or others can read or write it, naming the file and the fix", () => {
    const keyPath = join(dir(), "vault.key");
    const sealed = Vault.open({ key: undefined, keyPath }).seal("hello", "site_secret:a");
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o666]) {
      chmodSync(keyPath, mode);
      expect(() => Vault.open({ key: undefined, keyPath })).toThrow(
        `the vault key file ${keyPath} can be read or written by group or others (mode 0${mode.toString(8)}); fix it with: chmod 600 ${keyPath}`,
      );
    }
    chmodSync(keyPath, 0o600);
    expect(Vault.open({ key: undefined, keyPath }).open(sealed, "site_secret:a")).toBe("hello");
    chmodSync(keyPath, 0o400);
    expect(Vault.open({ key: undefined, keyPath }).open(sealed, "site_secret:a")).toBe("hello");
  });

  it("names the file when it does not hold a 32-byte key", () => {
    const keyPath = join(dir(), "vault.key");
    Vault.open({ key: undefined, keyPath });
    chmodSync(keyPath, 0o600);
    writeFileSync(keyPath, "c2hvcnQ=\n");
    expect(() => Vault.open({ key: undefined, keyPath })).toThrow(
      `the vault key file ${keyPath} must hold 32 bytes`,
    );
  });
});
