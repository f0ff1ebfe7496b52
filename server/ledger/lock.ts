import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import Database from "better-sqlite3";

export class DatabaseInUseError extends Error {
  override name = "DatabaseInUseError";
}

export interface DatabaseLock {
  release(): void;
}

/**
 * One serving gateway per database file. Start-up recovery bills every open
 * row as interrupted, so a second gateway on a file another one is serving
 * would close that one's live requests. The lock is SQLite's own (a POSIX
 * lock on `<db>.lock`, held in exclusive locking mode by a connection that
 * stays open): the system drops it when the process dies, however it dies, so
 * no stale lock outlives a crash. `<db>.lock.json` says who holds it.
 * The CLI's other commands (site add, policy set) need no lock.
 */
export function lockDatabase(dbPath: string): DatabaseLock {
  if (dbPath === ":memory:") return { release: () => {} };
  const lockPath = `${dbPath}.lock`;
  const ownerPath = `${lockPath}.json`;
  const lock = new Database(lockPath);
  try {
    lock.pragma("busy_timeout = 0");
    lock.pragma("locking_mode = EXCLUSIVE");
    // The first write takes the exclusive lock; exclusive mode keeps it until close().
    lock.exec("CREATE TABLE IF NOT EXISTS held (at INTEGER); DELETE FROM held");
    lock.prepare("INSERT INTO held (at) VALUES (?)").run(Date.now());
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error;
    throw new DatabaseInUseError(
      `another gateway is already serving ${dbPath}${describeOwner(ownerPath)}. Stop it first, or give this one its own SLUICE_DB.`,
    );
  }
  const owner = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
  writeFileSync(ownerPath, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  return {
    release: () => {
      if (!lock.open) return;
      rmSync(ownerPath, { force: true });
      lock.close();
    },
  };
}

function describeOwner(ownerPath: string): string {
  try {
    const owner = JSON.parse(readFileSync(ownerPath, "utf8")) as Record<string, unknown>;
    return ` (pid ${String(owner.pid)} on ${String(owner.host)}, since ${String(owner.started_at)})`;
  } catch {
    return "";
  }
}
