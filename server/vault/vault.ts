import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { VaultError } from "./errors.ts";
import { type KekSettings, loadKek } from "./kek-source.ts";

export { VaultError } from "./errors.ts";

/**
 * The row a sealed value belongs to. It is authenticated with the value
 * (AES-GCM associated data), so a value copied into another row does not open.
 */
export type VaultSlot =
  | `provider_key:${string}`
  | `site_secret:${string}`
  | `audit_key:${string}`
  | `metadata_key:${string}`;

const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/**
 * `v3:<kek id>:<iv>:<tag>:<sealed data key>:<iv>:<tag>:<ciphertext>`: the
 * value under its own data key, the data key sealed by the KEK. What `seal` writes.
 */
const ENVELOPE_FORMAT = "v3";
/** `v2:iv:tag:ciphertext` under the KEK itself, bound to its slot. Still opened, never written. */
const BOUND_FORMAT = "v2";
/** `v1:iv:tag:ciphertext` under the KEK itself, bound to nothing. Still opened, never written. */
const LEGACY_FORMAT = "v1";
/**
 * Associated data of a sealed data key. Not the slot alone: a v2 value is
 * sealed under the KEK with the slot as its associated data, and a data key's
 * seal must never pass for one.
 */
const DATA_KEY_CONTEXT = "sluice-data-key.v3|";
/** The HKDF salt of the keys derived from the KEK (deriveKey). */
const HKDF_SALT = "sluice-vault-derived-key.v1";

/**
 * Encrypts secrets at rest (provider keys, site secrets) with envelope
 * encryption: each value has its own random data key (AES-256-GCM), and the
 * data key is sealed by the key-encryption key (KEK). Rotating the KEK
 * re-seals the data keys (`rewrap`) and leaves the ciphertexts as they are.
 * Both layers are bound to the value's slot, carry their own IV and a full
 * 16-byte tag, so tampering and swapping fail loudly. The KEK comes from
 * SLUICE_VAULT_KEY, a private key file, or a command (see kek-source.ts).
 */
export class Vault {
  #kek: Buffer;
  #kekId: string;
  #kekSource: string;
  /**
   * Called when a value is sealed under another KEK than this vault's (a rotation by
   * another process); true when it made this vault adopt the database's KEK, so that
   * the value is opened again. The gateway sets it (ledger/kek-reload.ts).
   */
  onOtherKek: (() => boolean) | undefined;

  constructor(kek: Buffer, kekSource = "the vault key") {
    if (kek.length !== KEY_BYTES) throw new VaultError("the vault key must be 32 bytes");
    this.#kek = Buffer.from(kek);
    this.#kekId = kekIdOf(this.#kek);
    this.#kekSource = kekSource;
  }

  /** Names the KEK without revealing it: an HMAC of a fixed label under the KEK. */
  get kekId(): string {
    return this.#kekId;
  }

  /** Where the KEK came from, for error messages ("SLUICE_VAULT_KEY", a file, a command). */
  get kekSource(): string {
    return this.#kekSource;
  }

  /**
   * Takes `other`'s KEK in place of this one's (whose copy is zeroed): every store
   * holding this vault opens and seals with the new KEK from the next call on.
   */
  adopt(other: Vault): void {
    const previous = this.#kek;
    this.#kek = Buffer.from(other.#kek);
    this.#kekId = other.#kekId;
    this.#kekSource = other.#kekSource;
    previous.fill(0);
  }

  /**
   * The vault with the configured KEK, without a database to check it
   * against (the gateway and the CLI use ledger/kek.ts's openVault). A missing
   * key file is created.
   */
  static open(settings: KekSettings): Vault {
    const { key, source } = loadKek(settings, { createKeyFile: true });
    try {
      return new Vault(key, source);
    } finally {
      key.fill(0);
    }
  }

  /** Seals `plaintext` for `slot` under a new data key. */
  seal(plaintext: string, slot: VaultSlot): string {
    const dataKey = randomBytes(KEY_BYTES);
    const data = Buffer.from(plaintext, "utf8");
    try {
      const sealedKey = encrypt(this.#kek, dataKey, dataKeyContext(slot));
      const sealedData = encrypt(dataKey, data, Buffer.from(slot, "utf8"));
      return [ENVELOPE_FORMAT, this.kekId, ...sealedKey, ...sealedData].join(":");
    } finally {
      dataKey.fill(0);
      data.fill(0);
    }
  }

  /** The plaintext of a value sealed for `slot` (in any format this vault ever wrote). */
  open(sealedValue: string, slot: VaultSlot): string {
    const kekId = sealedKekId(sealedValue);
    if (kekId !== undefined && kekId !== this.#kekId) this.onOtherKek?.();
    const value = parse(sealedValue, slot);
    if (value.format !== ENVELOPE_FORMAT) {
      const aad = value.format === BOUND_FORMAT ? Buffer.from(slot, "utf8") : undefined;
      return toText(decrypt(this.#kek, value.data, aad, slot));
    }
    const dataKey = this.#openDataKey(value, slot);
    try {
      return toText(decrypt(dataKey, value.data, Buffer.from(slot, "utf8"), slot));
    } finally {
      dataKey.fill(0);
    }
  }

  /**
   * The same value with its data key sealed by `to`'s KEK instead of this
   * one's; the ciphertext is kept byte for byte. A value from before envelope
   * encryption (v1, v2) has no data key: it is opened and sealed anew under `to`.
   */
  rewrap(sealedValue: string, slot: VaultSlot, to: Vault): string {
    const value = parse(sealedValue, slot);
    if (value.format !== ENVELOPE_FORMAT) return to.seal(this.open(sealedValue, slot), slot);
    const dataKey = this.#openDataKey(value, slot);
    try {
      const sealedKey = encrypt(to.#kek, dataKey, dataKeyContext(slot));
      return [ENVELOPE_FORMAT, to.kekId, ...sealedKey, ...value.dataParts].join(":");
    } finally {
      dataKey.fill(0);
    }
  }

  /**
   * A 32-byte key for `purpose` derived from the KEK (HKDF-SHA256, the purpose
   * as its info), e.g. the audit log's MAC key: whoever lacks the KEK cannot
   * compute it. The caller owns the bytes and zeroes them when done.
   */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync("sha256", this.#kek, HKDF_SALT, purpose, KEY_BYTES));
  }

  /**
   * Zeroes this vault's copy of the KEK (the gateway and the CLI do so when
   * they close); nothing opens or seals with it after that.
   */
  forget(): void {
    this.#kek.fill(0);
  }

  /** Whether a sealed value predates envelope encryption (v1, v2): its row should be sealed anew. */
  isLegacy(sealedValue: string): boolean {
    return !sealedValue.startsWith(`${ENVELOPE_FORMAT}:`);
  }

  #openDataKey(value: Envelope, slot: VaultSlot): Buffer {
    if (value.kekId !== this.kekId) {
      throw new VaultError(
        `the data key of ${slot} is sealed under KEK ${value.kekId}, but ${this.kekSource} is KEK ${this.kekId}`,
      );
    }
    const dataKey = decrypt(this.#kek, value.dataKey, dataKeyContext(slot), slot);
    if (dataKey.length !== KEY_BYTES) {
      dataKey.fill(0);
      throw new VaultError(`the data key of ${slot} is not ${KEY_BYTES} bytes (tampered data)`);
    }
    return dataKey;
  }
}

/** The KEK id of a value sealed in the envelope format; undefined for v1 and v2 values. */
export function sealedKekId(sealedValue: string): string | undefined {
  const parts = sealedValue.split(":");
  return parts[0] === ENVELOPE_FORMAT ? parts[1] : undefined;
}

function kekIdOf(kek: Buffer): string {
  return createHmac("sha256", kek).update("sluice vault kek id v1").digest("hex").slice(0, 16);
}

/** One AES-GCM seal: its IV, tag and ciphertext, each base64. */
type SealedParts = [iv: string, tag: string, ciphertext: string];

interface Sealed {
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

type Envelope = {
  format: typeof ENVELOPE_FORMAT;
  kekId: string;
  dataKey: Sealed;
  data: Sealed;
  /** The data's IV, tag and ciphertext as stored: a rewrap copies them unchanged. */
  dataParts: string[];
};

type Parsed = Envelope | { format: typeof BOUND_FORMAT | typeof LEGACY_FORMAT; data: Sealed };

function parse(sealedValue: string, slot: VaultSlot): Parsed {
  const parts = sealedValue.split(":");
  const [format] = parts;
  if (format === ENVELOPE_FORMAT && parts.length === 8) {
    return {
      format,
      kekId: parts[1] as string,
      dataKey: toSealed(parts.slice(2, 5), slot),
      data: toSealed(parts.slice(5), slot),
      dataParts: parts.slice(5),
    };
  }
  if ((format === BOUND_FORMAT || format === LEGACY_FORMAT) && parts.length === 4) {
    return { format, data: toSealed(parts.slice(1), slot) };
  }
  throw new VaultError(`${slot} does not hold a sealed vault value`);
}

function toSealed(parts: string[], slot: VaultSlot): Sealed {
  const [iv, tag, ciphertext] = parts.map((part) => Buffer.from(part, "base64")) as [
    Buffer,
    Buffer,
    Buffer,
  ];
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new VaultError(
      `the sealed value of ${slot} has a ${iv.length}-byte IV and a ${tag.length}-byte auth tag; ${IV_BYTES} and ${TAG_BYTES} are required (truncated or tampered data)`,
    );
  }
  return { iv, tag, ciphertext };
}

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): SealedParts {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [iv, cipher.getAuthTag(), ciphertext].map((part) =>
    part.toString("base64"),
  ) as SealedParts;
}

/** The plaintext bytes; the caller owns them and zeroes them when done. */
function decrypt(key: Buffer, sealed: Sealed, aad: Buffer | undefined, slot: VaultSlot): Buffer {
  const decipher = createDecipheriv(ALGORITHM, key, sealed.iv, { authTagLength: TAG_BYTES });
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(sealed.tag);
  const head = decipher.update(sealed.ciphertext);
  try {
    const tail = decipher.final();
    const plaintext = Buffer.concat([head, tail]);
    tail.fill(0);
    return plaintext;
  } catch {
    throw new VaultError(
      `the sealed value of ${slot} could not be opened: wrong vault key, tampered data, or a value copied from another row`,
    );
  } finally {
    head.fill(0);
  }
}

/** The bytes as text, zeroed once the string is made (the string itself cannot be). */
function toText(bytes: Buffer): string {
  try {
    return bytes.toString("utf8");
  } finally {
    bytes.fill(0);
  }
}

function dataKeyContext(slot: VaultSlot): Buffer {
  return Buffer.from(`${DATA_KEY_CONTEXT}${slot}`, "utf8");
}
