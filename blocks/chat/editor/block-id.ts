/**
 * The block's stable id: set once when empty, and made new when the block is duplicated
 * (or pasted), so that two blocks in one editor never share an id.
 */

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
export const BLOCK_ID_LENGTH = 16;

/** A random id of 16 lowercase letters and digits. */
export function generateBlockId(
  random: (bytes: Uint8Array) => Uint8Array = (bytes) => crypto.getRandomValues(bytes),
): string {
  const bytes = random(new Uint8Array(BLOCK_ID_LENGTH));
  let id = "";
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

/**
 * Which mounted block (by clientId) holds which blockId. The first block to claim an id
 * keeps it; a copy that mounts later with the same id is refused and takes a new one.
 */
export class BlockIdClaims {
  readonly #holders = new Map<string, string>();

  /** True when `clientId` may use `blockId` (it was free or already its own). */
  claim(blockId: string, clientId: string): boolean {
    const holder = this.#holders.get(blockId);
    if (holder !== undefined && holder !== clientId) return false;
    this.#holders.set(blockId, clientId);
    return true;
  }

  release(blockId: string, clientId: string): void {
    if (this.#holders.get(blockId) === clientId) this.#holders.delete(blockId);
  }
}

/** The claims of the editor this script runs in. */
export const editorBlockIds = new BlockIdClaims();
