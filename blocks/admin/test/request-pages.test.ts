import { describe, expect, test } from "vitest";
import { pageCount, pageQuery } from "../lib/request-pages";
import { capTone, shareOf } from "../lib/spend";

describe("pages of the requests table", () => {
  test("page 1 reads the newest requests, whatever came before", () => {
    expect(pageQuery(1, 25, undefined)).toEqual({ offset: 0 });
    expect(pageQuery(1, 25, 1_700_000_000_000)).toEqual({ offset: 0 });
  });

  test("later pages read from page 1's moment, by offset", () => {
    expect(pageQuery(2, 25, 1_700_000_000_000)).toEqual({ before: 1_700_000_000_000, offset: 25 });
    expect(pageQuery(4, 50, 1_700_000_000_000)).toEqual({ before: 1_700_000_000_000, offset: 150 });
  });

  test("a later page before page 1 was read, or page 0, cannot be asked for", () => {
    expect(pageQuery(2, 25, undefined)).toBeNull();
    expect(pageQuery(0, 25, 1_700_000_000_000)).toBeNull();
  });

  test("the page count covers every request and is never zero", () => {
    expect(pageCount(0, 25)).toBe(1);
    expect(pageCount(25, 25)).toBe(1);
    expect(pageCount(26, 25)).toBe(2);
    expect(pageCount(1001, 100)).toBe(11);
  });
});

describe("spend against a cap", () => {
  const status = {
    period: "2026-07-03",
    settled_usd: 4,
    reserved_usd: 0.25,
    cap_usd: 5,
    used_fraction: 0.85,
    warning: true,
    resets_at: "2026-07-03T22:00:00.000Z",
  };

  test("normal, past the warning threshold, or reached", () => {
    expect(capTone(status)).toBe("warning");
    expect(capTone({ ...status, used_fraction: 0.5, warning: false })).toBe("normal");
    expect(capTone({ ...status, used_fraction: 1 })).toBe("reached");
    expect(capTone({ ...status, used_fraction: 1.2 })).toBe("reached");
    expect(capTone({ ...status, cap_usd: null, used_fraction: null, warning: false })).toBe(
      "normal",
    );
  });

  test("a share of nothing is nothing", () => {
    expect(shareOf(1, 4)).toBe(0.25);
    expect(shareOf(1, 0)).toBe(0);
  });
});
