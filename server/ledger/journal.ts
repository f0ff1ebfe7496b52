import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import type { SettledRequest } from "./requests.ts";

export type Settlement = [requestId: string, outcome: SettledRequest];

/**
 * Settlements the database refused (disk full, I/O error), kept in a file of
 * JSON lines beside it until they can be written: each append is fsynced
 * before it counts, so a settlement survives a crash or a restart. A torn last
 * line (a crash mid-append) is skipped when read.
 */
export class SettlementJournal {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** Appends the batch durably. Throws when the file cannot be written either. */
  append(batch: readonly Settlement[]): void {
    const text = batch.map(([id, outcome]) => `${JSON.stringify({ id, outcome })}\n`).join("");
    const fd = openSync(this.path, "a", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Every whole entry, oldest first; a later entry for the same request wins when applied. */
  read(): { entries: Settlement[]; skipped: number } {
    if (!existsSync(this.path)) return { entries: [], skipped: 0 };
    const entries: Settlement[] = [];
    let skipped = 0;
    for (const line of readFileSync(this.path, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        const { id, outcome } = JSON.parse(line) as { id: unknown; outcome: SettledRequest };
        if (typeof id !== "string" || typeof outcome !== "object" || outcome === null) {
          skipped += 1;
          continue;
        }
        entries.push([id, outcome]);
      } catch {
        skipped += 1;
      }
    }
    return { entries, skipped };
  }

  clear(): void {
    rmSync(this.path, { force: true });
  }
}
