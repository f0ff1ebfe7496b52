import type { CapStatus } from "./api";

/** How a period's spend stands against its cap: under the soft threshold, past it, or at the cap. */
export function capTone(status: CapStatus): "normal" | "warning" | "reached" {
  if (status.cap_usd === null) return "normal";
  if ((status.used_fraction ?? 0) >= 1) return "reached";
  return status.warning ? "warning" : "normal";
}

/** The share of the period's total that one part is (0 when there is no total). */
export function shareOf(part: number, total: number): number {
  return total > 0 ? part / total : 0;
}
