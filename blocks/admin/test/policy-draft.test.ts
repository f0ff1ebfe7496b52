import { describe, expect, test } from "vitest";
import type { PolicyJson, PolicyReport } from "../lib/api";
import { changesFromDraft, draftFromPolicy, parseUsd } from "../lib/policy-draft";

const empty: PolicyJson = {
  day_usd: null,
  month_usd: null,
  visitor_day_usd: null,
  request_usd: null,
  models: null,
  soft_threshold: null,
  timezone: null,
};

function report(
  site: Partial<PolicyJson>,
  wordpress: string | null = "Europe/Paris",
): PolicyReport {
  const status = {
    period: "2026-07-03",
    settled_usd: 0,
    reserved_usd: 0,
    cap_usd: null,
    used_fraction: null,
    warning: false,
    resets_at: "2026-07-03T22:00:00.000Z",
  };
  return {
    site: "s",
    operator: { ...empty, day_usd: 5 },
    site_policy: { ...empty, ...site },
    effective: { ...empty, ...site },
    spend: { today: status, month: { ...status, period: "2026-07" } },
    wordpress_timezone: wordpress,
  };
}

describe("parseUsd", () => {
  test("plain amounts, with or without a dollar sign", () => {
    expect(parseUsd("5")).toBe(5);
    expect(parseUsd(" 5.50 ")).toBe(5.5);
    expect(parseUsd("$2")).toBe(2);
    expect(parseUsd(".5")).toBe(0.5);
    expect(parseUsd("0")).toBe(0);
  });

  test("blank is no cap; anything else is not a number", () => {
    expect(parseUsd("")).toBeNull();
    expect(parseUsd("   ")).toBeNull();
    for (const text of ["-1", "1,000", "five", "1e3", "1.2.3"]) {
      expect(parseUsd(text), text).toBeNaN();
    }
  });
});

describe("draftFromPolicy", () => {
  test("the site's own layer, as text; the threshold in percent", () => {
    const draft = draftFromPolicy(
      report({ day_usd: 2, request_usd: 0.05, soft_threshold: 0.9, timezone: "Europe/Paris" }),
    );
    expect(draft).toEqual({
      caps: { day_usd: "2", month_usd: "", visitor_day_usd: "", request_usd: "0.05" },
      softThreshold: "90",
      timezoneMode: "wordpress",
      timezone: "Europe/Paris",
    });
  });

  test("a time zone other than WordPress's is the admin's choice", () => {
    const draft = draftFromPolicy(report({ timezone: "Asia/Tokyo" }));
    expect(draft).toMatchObject({ timezoneMode: "custom", timezone: "Asia/Tokyo" });
    expect(draftFromPolicy(report({ timezone: null }))).toMatchObject({
      timezoneMode: "wordpress",
    });
  });
});

describe("changesFromDraft", () => {
  const base = draftFromPolicy(report({}));

  test("every cap is sent (blank clears), the threshold as a fraction, WordPress's zone as null", () => {
    const result = changesFromDraft({
      ...base,
      caps: { day_usd: "2", month_usd: "20.5", visitor_day_usd: "", request_usd: "$0.05" },
      softThreshold: "75%",
    });
    expect(result).toEqual({
      ok: true,
      changes: {
        day_usd: 2,
        month_usd: 20.5,
        visitor_day_usd: null,
        request_usd: 0.05,
        soft_threshold: 0.75,
        timezone: null,
      },
    });
  });

  test("a chosen time zone is sent as it is; a blank one is refused", () => {
    const chosen = changesFromDraft({ ...base, timezoneMode: "custom", timezone: "Asia/Tokyo" });
    expect(chosen.ok && chosen.changes.timezone).toBe("Asia/Tokyo");
    expect(changesFromDraft({ ...base, timezoneMode: "custom", timezone: " " })).toMatchObject({
      ok: false,
      field: "timezone",
    });
  });

  test("refuses what is not an amount, and says which cap", () => {
    const result = changesFromDraft({ ...base, caps: { ...base.caps, visitor_day_usd: "lots" } });
    expect(result).toMatchObject({ ok: false, field: "visitor_day_usd" });
    expect(!result.ok && result.message).toMatch(/^Daily cap per visitor must be an amount/);
    expect(changesFromDraft({ ...base, caps: { ...base.caps, day_usd: "2000000" } })).toMatchObject(
      { ok: false, field: "day_usd" },
    );
  });

  test("a threshold must be above 0% and at most 100%; blank is the default", () => {
    for (const softThreshold of ["0", "101", "abc"]) {
      expect(changesFromDraft({ ...base, softThreshold })).toMatchObject({
        ok: false,
        field: "soft_threshold",
      });
    }
    const blank = changesFromDraft({ ...base, softThreshold: "" });
    expect(blank.ok && blank.changes.soft_threshold).toBeNull();
    const full = changesFromDraft({ ...base, softThreshold: "100" });
    expect(full.ok && full.changes.soft_threshold).toBe(1);
  });

  test("a cap above the operator's is left for the gateway to refuse, in its own words", () => {
    const result = changesFromDraft({ ...base, caps: { ...base.caps, day_usd: "50" } });
    expect(result.ok && result.changes.day_usd).toBe(50);
  });
});
