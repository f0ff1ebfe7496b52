import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const ALGORITHM = "aes-256-gcm";
const FORMAT_VERSION = "v1";

/**
 * Encrypts secrets at rest (provider keys, site secrets) with AES-256-GCM under
 * one master key. The master key comes from SLUICE_VAULT_KEY (32 bytes, base64
 * or hex) or from a key file created with mode 0600 on first use. Sealed
 * values carry their own IV and auth tag, so tampering fails loudly.
 */
export class Vault {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error("the vault key must be 32 bytes");
    this.#key = key;
  }

  static open(options: { key: string | undefined; keyPath: string }): Vault {
    if (options.key) return new Vault(decodeKey(options.key));
    if (existsSync(options.keyPath)) {
      return new Vault(decodeKey(readFileSync(options.keyPath, "utf8").trim()));
    }
    mkdirSync(dirname(options.keyPath), { recursive: true });
    const key = randomBytes(32);
    writeFileSync(options.keyPath, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(options.keyPath, 0o600);
    return new Vault(key);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv);
    const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [FORMAT_VERSION, ...[iv, tag, sealed].map((part) => part.toString("base64"))].join(":");
  }

  open(sealedValue: string): string {
    const parts = sealedValue.split(":");
    if (parts.length !== 4 || parts[0] !== FORMAT_VERSION) {
      throw new Error("not a sealed vault value");
    }
    const [, iv, tag, sealed] = parts.map((part) => Buffer.from(part, "base64"));
    const decipher = createDecipheriv(ALGORITHM, this.#key, iv as Buffer);
    decipher.setAuthTag(tag as Buffer);
    try {
      return Buffer.concat([decipher.update(sealed as Buffer), decipher.final()]).toString("utf8");
    } catch {
      throw new Error("a vault value could not be decrypted: wrong vault key or tampered data");
    }
  }
}

function decodeKey(text: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
  if (key.length !== 32) {
    throw new Error("SLUICE_VAULT_KEY must be 32 bytes, base64 or hex encoded");
  }
  return key;
}
