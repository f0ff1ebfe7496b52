import { createHmac, randomBytes } from "node:crypto";
import type { Vault, VaultSlot } from "../vault/vault.ts";
import type { Db } from "./db.ts";
import type { SettledRequest } from "./requests.ts";

/**
 * What the ledger keeps of the metadata a chat brings that could name a person: the
 * visitor id a client sends (`user`) and free text (a provider's error message, which
 * may quote the prompt). With SLUICE_HASH_METADATA=true both are stored only as keyed
 * hashes; otherwise as they came. docs/security.md says what is stored either way.
 */
export interface MetadataPrivacy {
  readonly hashing: boolean;
  /** The visitor id as the ledger and the per-visitor caps key it. */
  visitor(value: string | undefined): string | undefined;
  /** A settlement as the ledger (and its journal) may store it. */
  settled(outcome: SettledRequest): SettledRequest;
}

/** Everything stored as it came (the default). */
export const keepMetadata: MetadataPrivacy = {
  hashing: false,
  visitor: (value) => value,
  settled: (outcome) => outcome,
};

/** A stored hash: "h1." and 32 base64url characters (192 bits of HMAC-SHA256). */
export const HASH_PREFIX = "h1.";

/**
 * Keyed hashes under `key`: the same value always gives the same hash (per-visitor
 * caps and "the same error again" still work), and without the key no one can test a
 * guess (an address, an e-mail) against the ledger. Each kind of value has its own
 * domain, so a visitor id never equals the hash of the same text as a message.
 */
export function hashingMetadata(key: Buffer): MetadataPrivacy {
  const hash = (domain: string, value: string) =>
    HASH_PREFIX +
    createHmac("sha256", key)
      .update(`${domain}\0${value}`, "utf8")
      .digest("base64url")
      .slice(0, 32);
  return {
    hashing: true,
    visitor: (value) => (value === undefined ? undefined : hash("visitor", value)),
    settled: (outcome) =>
      outcome.errorMessage === undefined || outcome.errorMessage === null
        ? outcome
        : { ...outcome, errorMessage: hash("text", outcome.errorMessage) },
  };
}

/** The vault slot of the hash key (one per gateway database). */
export const METADATA_KEY_SLOT: VaultSlot = "metadata_key:1";

/**
 * The metadata hash key, made and sealed by the vault on first use. It stays the same
 * across KEK rotations (they re-wrap it like any secret), so hashes stay comparable.
 */
export function loadMetadataKey(db: Db, vault: Vault): Buffer {
  const read = () =>
    db.prepare("SELECT key_sealed FROM metadata_key WHERE id = 1").pluck().get() as
      | string
      | undefined;
  if (read() === undefined) {
    // Another gateway process may store its own first: whichever is stored is the key.
    db.prepare(
      "INSERT INTO metadata_key (id, key_sealed) VALUES (1, ?) ON CONFLICT DO NOTHING",
    ).run(vault.seal(randomBytes(32).toString("base64"), METADATA_KEY_SLOT));
  }
  return Buffer.from(vault.open(read() as string, METADATA_KEY_SLOT), "base64");
}

/** The privacy the configuration asks for. */
export function metadataPrivacy(hash: boolean, db: Db, vault: Vault): MetadataPrivacy {
  return hash ? hashingMetadata(loadMetadataKey(db, vault)) : keepMetadata;
}
