import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { VaultError } from "./errors.ts";

/** Permission bits that let anyone but the owner at a key file. */
const GROUP_OR_OTHERS = 0o077;
/** The sticky bit: a directory shared by many users, like /tmp. */
const STICKY = 0o1000;
const CHECKS_MODES = process.platform !== "win32";

/**
 * Reads the vault's KEK from `path`, creating it (32 random bytes, base64) on
 * first use when `create` allows. A new key file is mode 0600 in a directory
 * of mode 0700, whatever the umask; an existing one that group or others can
 * reach is refused, so the key is never used from a file other users may have read.
 */
export function loadKeyFile(path: string, options: { create: boolean } = { create: true }): string {
  try {
    return readKeyFile(path);
  } catch (error) {
    if (errorCode(error) !== "ENOENT") throw error;
    if (!options.create) {
      throw new VaultError(
        `the vault key file ${path} does not exist, and the vault holds secrets sealed under a KEK it should hold: restore the file from your backup (or set SLUICE_VAULT_KEY / SLUICE_VAULT_KEK_COMMAND)`,
      );
    }
  }
  return createKeyFile(path);
}

/**
 * Where `sluice vault rotate-kek` writes the new KEK, beside the key file,
 * before it re-wraps the data keys; renamed over the key file once the
 * re-wrap is committed. While it exists, either file may be the vault's KEK:
 * the database says which (ledger/kek.ts).
 */
export function stagedKeyPath(path: string): string {
  return `${path}.next`;
}

/** The staged KEK, or undefined when no rotation left one (refused, like the key file, if others can reach it). */
export function readStagedKeyFile(path: string): string | undefined {
  try {
    return readKeyFile(stagedKeyPath(path));
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
}

/** Writes the staged KEK durably (0600, synced, renamed into place, the directory synced). */
export function writeStagedKeyFile(path: string, key: string): void {
  makePrivateDirectory(dirname(path));
  const staged = stagedKeyPath(path);
  const temporary = `${staged}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(temporary, "wx", 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, `${key.trim()}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temporary, staged);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
  syncDirectory(dirname(path));
}

/**
 * Renames the staged KEK over the key file (atomic: the key file is always
 * one KEK or the other, never half of each) and syncs the directory. False
 * when there is no staged file (another process promoted it first).
 */
export function promoteStagedKeyFile(path: string): boolean {
  try {
    renameSync(stagedKeyPath(path), path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false;
    throw error;
  }
  syncDirectory(dirname(path));
  return true;
}

function syncDirectory(directory: string): void {
  if (process.platform === "win32") return;
  const fd = openSync(directory, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readKeyFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    const { mode } = fstatSync(fd);
    if (CHECKS_MODES && (mode & GROUP_OR_OTHERS) !== 0) {
      throw new VaultError(
        `the vault key file ${path} can be read or written by group or others (mode ${octal(mode)}); fix it with: chmod 600 ${path}`,
      );
    }
    return readFileSync(fd, "utf8").trim();
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the key to a private staging file, then links it into place: the key
 * file never exists half written, and of two processes starting at once the
 * second one reads the first one's key instead of replacing it.
 */
function createKeyFile(path: string): string {
  makePrivateDirectory(dirname(path));
  const key = `${randomBytes(32).toString("base64")}\n`;
  const staging = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(staging, "wx", 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(staging, path);
  } catch (error) {
    if (errorCode(error) === "EEXIST") return readKeyFile(path);
    throw error;
  } finally {
    unlinkSync(staging);
  }
  return key.trim();
}

/**
 * Makes the directory that holds the key file 0700: the directories it
 * creates, and the holding directory itself when it already exists (the
 * database may have created `data/` first) and belongs to this user. A shared
 * sticky directory such as /tmp is left as it is.
 */
function makePrivateDirectory(directory: string): void {
  const firstCreated = mkdirSync(directory, { recursive: true, mode: 0o700 });
  if (!CHECKS_MODES) return;
  if (firstCreated !== undefined) {
    for (let current = directory; ; current = dirname(current)) {
      chmodSync(current, 0o700);
      if (current === firstCreated || dirname(current) === current) break;
    }
    return;
  }
  const { mode, uid } = statSync(directory);
  const ours = uid === process.getuid?.();
  const shared = (mode & STICKY) !== 0;
  if (ours && !shared && (mode & GROUP_OR_OTHERS) !== 0) chmodSync(directory, 0o700);
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error ? String(error.code) : undefined;
}
