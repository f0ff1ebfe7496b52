import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { VaultError } from "./errors.ts";
import { loadKeyFile } from "./key-file.ts";

export { VaultError } from "./errors.ts";

/**
 * The row a sealed value belongs to. It is authenticated with the value
 * (AES-GCM associated data), so a value copied into another row does not open.
 */
export type VaultSlot = `provider_key:${string}` | `site_secret:${string}`;

const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** `v2:iv:tag:ciphertext`, bound to its slot. What `seal` writes. */
const BOUND_FORMAT = "v2";
/** `v1:iv:tag:ciphertext`, bound to nothing. Still opened, never written. */
const LEGACY_FORMAT = "v1";

/**
 * Encrypts secrets at rest (provider keys, site secrets) with AES-256-GCM under
 * one master key. The master key comes from SLUICE_VAULT_KEY (32 bytes, base64
 * or hex) or from a private key file created on first use (see key-file.ts).
 * Sealed values carry their own IV and a full 16-byte auth tag, and are bound
 * to their slot, so tampering and swapping fail loudly.
 */
export class Vault {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new VaultError("the vault key must be 32 bytes");
    this.#key = key;
  }

  static open(options: { key: string | undefined; keyPath: string }): Vault {
    if (options.key) return new Vault(decodeKey(options.key, "SLUICE_VAULT_KEY"));
    return new Vault(
      decodeKey(loadKeyFile(options.keyPath), `the vault key file ${options.keyPath}`),
    );
  }

  seal(plaintext: string, slot: VaultSlot): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(slot, "utf8"));
    const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [BOUND_FORMAT, ...[iv, tag, sealed].map((part) => part.toString("base64"))].join(":");
  }

  /** The plaintext of a value sealed for `slot` (or sealed before values were bound). */
  open(sealedValue: string, slot: VaultSlot): string {
    const parts = sealedValue.split(":");
    const format = parts[0];
    if (parts.length !== 4 || (format !== BOUND_FORMAT && format !== LEGACY_FORMAT)) {
      throw new VaultError(`${slot} does not hold a sealed vault value`);
    }
    const [iv, tag, sealed] = parts.slice(1).map((part) => Buffer.from(part, "base64")) as [
      Buffer,
      Buffer,
      Buffer,
    ];
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new VaultError(
        `the sealed value of ${slot} has a ${iv.length}-byte IV and a ${tag.length}-byte auth tag; ${IV_BYTES} and ${TAG_BYTES} are required (truncated or tampered data)`,
      );
    }
    const decipher = createDecipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    if (format === BOUND_FORMAT) decipher.setAAD(Buffer.from(slot, "utf8"));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed), decipher.final()]).toString("utf8");
    } catch {
      throw new VaultError(
        `the sealed value of ${slot} could not be opened: wrong vault key, tampered data, or a value copied from another row`,
      );
    }
  }

  /** Whether a sealed value predates slot binding; its row should be sealed anew. */
  isLegacy(sealedValue: string): boolean {
    return sealedValue.startsWith(`${LEGACY_FORMAT}:`);
  }
}

function decodeKey(text: string, source: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
  if (key.length !== 32)
    throw new VaultError(`${source} must hold 32 bytes, base64 or hex encoded`);
  return key;
}
