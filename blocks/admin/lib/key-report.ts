import type { ServingKey, ServingKeys } from "../../../contract/keys";

/** One line of the keys panel, decided here so that the panel only words it. */
export interface KeyLine {
  provider: string;
  /** "environment": the gateway's environment variable (age unknown); "vault": a stored key. */
  kind: "environment" | "vault";
  /** The stored key's scope in the words of `sluice key`: "--site blog --env prod", "" for every site and environment. */
  scopeFlags: string;
  setAt: string | null;
  ageDays: number | null;
  overMaxAge: boolean;
  /** Until when the key it replaced still answers; null when none. */
  previousUntil: string | null;
  /** The command that rotates it on the gateway's host (stored keys only). */
  rotateCommand: string | null;
}

function scopeFlags(key: ServingKey): string {
  const flags: string[] = [];
  if (key.scope?.site) flags.push(`--site ${key.scope.site}`);
  if (key.scope?.environment) flags.push(`--env ${key.scope.environment}`);
  return flags.join(" ");
}

/** The panel's lines, the overdue keys first, then by provider. */
export function keyLines(keys: ServingKeys): KeyLine[] {
  return keys.data
    .map((key): KeyLine => {
      const flags = key.source === "vault" ? scopeFlags(key) : "";
      return {
        provider: key.provider,
        kind: key.source === "vault" ? "vault" : "environment",
        scopeFlags: flags,
        setAt: key.set_at,
        ageDays: key.age_days,
        overMaxAge: key.over_max_age,
        previousUntil: key.previous_usable_until,
        rotateCommand:
          key.source === "vault"
            ? `sluice key rotate ${key.provider}${flags ? ` ${flags}` : ""}`
            : null,
      };
    })
    .sort(
      (a, b) => Number(b.overMaxAge) - Number(a.overMaxAge) || a.provider.localeCompare(b.provider),
    );
}

/** How many keys are past the gateway's rotation age. */
export function overdueCount(keys: ServingKeys): number {
  return keys.data.filter((key) => key.over_max_age).length;
}
