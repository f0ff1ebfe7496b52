import { __, sprintf } from "@wordpress/i18n";
import type { PolicyChanges, PolicyReport } from "./api";
import { capToText, formatInteger } from "./format";

/** The four caps, in the order the form shows them. */
export const CAP_FIELDS = ["day_usd", "month_usd", "visitor_day_usd", "request_usd"] as const;
export type CapField = (typeof CAP_FIELDS)[number];

/** The gateway's largest cap. */
export const MAX_CAP_USD = 1_000_000;

/** The Caps form as typed: text, so that a half-typed "0." survives. */
export interface CapsDraft {
  caps: Record<CapField, string>;
  /** Soft threshold in percent ("" for the default). */
  softThreshold: string;
  /** "wordpress": follow WordPress's time zone; "custom": the one in `timezone`. */
  timezoneMode: "wordpress" | "custom";
  timezone: string;
}

export function draftFromPolicy(report: PolicyReport): CapsDraft {
  const site = report.site_policy;
  const followsWordPress = site.timezone === null || site.timezone === report.wordpress_timezone;
  return {
    caps: {
      day_usd: capToText(site.day_usd),
      month_usd: capToText(site.month_usd),
      visitor_day_usd: capToText(site.visitor_day_usd),
      request_usd: capToText(site.request_usd),
    },
    softThreshold:
      site.soft_threshold === null ? "" : String(Number((site.soft_threshold * 100).toFixed(2))),
    timezoneMode: followsWordPress ? "wordpress" : "custom",
    timezone: followsWordPress ? (report.wordpress_timezone ?? "") : (site.timezone ?? ""),
  };
}

/** Dollars as typed ("5", "5.50", "$5", ".5"); null for blank; NaN when not a plain amount. */
export function parseUsd(text: string): number | null {
  const cleaned = text.trim().replace(/^\$\s*/, "");
  if (cleaned === "") return null;
  if (!/^(\d+\.?\d*|\.\d+)$/.test(cleaned)) return Number.NaN;
  return Number(cleaned);
}

export type DraftResult =
  | { ok: true; changes: PolicyChanges }
  | { ok: false; field: CapField | "soft_threshold" | "timezone"; message: string };

export function capLabel(field: CapField): string {
  switch (field) {
    case "day_usd":
      return __("Daily cap", "sluice");
    case "month_usd":
      return __("Monthly cap", "sluice");
    case "visitor_day_usd":
      return __("Daily cap per visitor", "sluice");
    default:
      return __("Cap per request", "sluice");
  }
}

/**
 * What the Caps form's Save sends: every cap (blank clears it at the site's
 * level), the soft threshold and the time zone (null: WordPress's). The
 * operator's limits are left to the gateway, whose refusal names each field.
 */
export function changesFromDraft(draft: CapsDraft): DraftResult {
  const changes: PolicyChanges = {};
  for (const field of CAP_FIELDS) {
    const value = parseUsd(draft.caps[field]);
    if (value !== null && (!Number.isFinite(value) || value < 0 || value > MAX_CAP_USD)) {
      return {
        ok: false,
        field,
        message: sprintf(
          /* translators: 1: the cap's name, e.g. "Daily cap", 2: the largest cap, e.g. 1,000,000 */
          __("%1$s must be an amount in US dollars from 0 to %2$s, or blank for none.", "sluice"),
          capLabel(field),
          formatInteger(MAX_CAP_USD),
        ),
      };
    }
    changes[field] = value;
  }
  const soft = draft.softThreshold.trim().replace(/%$/, "").trim();
  if (soft === "") {
    changes.soft_threshold = null;
  } else {
    const percent = Number(soft.replace(",", "."));
    if (!Number.isFinite(percent) || percent <= 0 || percent > 100) {
      return {
        ok: false,
        field: "soft_threshold",
        message: __(
          "The warning threshold must be a percentage above 0 and at most 100, or blank for the default.",
          "sluice",
        ),
      };
    }
    changes.soft_threshold = Number((percent / 100).toFixed(4));
  }
  if (draft.timezoneMode === "custom") {
    const zone = draft.timezone.trim();
    if (zone === "") {
      return {
        ok: false,
        field: "timezone",
        message: __("Choose a time zone, or follow WordPress's.", "sluice"),
      };
    }
    changes.timezone = zone;
  } else {
    changes.timezone = null;
  }
  return { ok: true, changes };
}
