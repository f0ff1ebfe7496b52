import { readFileSync } from "node:fs";

/** A file's size in bytes, 0 when it is not there (yet). */
export function fileSize(file: string): number {
  try {
    return readFileSync(file).length;
  } catch {
    return 0;
  }
}

/** A file's text from byte `from` on (what a log gained since then); "" when it is not there. */
export function textFrom(file: string, from: number): string {
  try {
    return readFileSync(file).subarray(from).toString("utf8");
  } catch {
    return "";
  }
}
