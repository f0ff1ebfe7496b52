import { describe, expect, test } from "vitest";
import { afterPage, cursorOf, firstPages, pageCount } from "../lib/request-pages";
import { capTone, shareOf } from "../lib/spend";

describe("cursor pages for DataViews", () => {
  test("the first page starts at the newest request", () => {
    const pages = firstPages();
    expect(cursorOf(pages, 1)).toBeUndefined();
    expect(pageCount(pages)).toBe(1);
    expect(cursorOf(pages, 2)).toBeNull();
  });

  test("reading a page with a next_before makes the next page reachable", () => {
    let pages = afterPage(firstPages(), 1, 1_700_000_000_300);
    expect(pageCount(pages)).toBe(2);
    expect(cursorOf(pages, 2)).toBe(1_700_000_000_300);
    pages = afterPage(pages, 2, 1_700_000_000_100);
    expect(pageCount(pages)).toBe(3);
    expect(cursorOf(pages, 3)).toBe(1_700_000_000_100);
  });

  test("the last page (next_before null) ends the count", () => {
    let pages = afterPage(firstPages(), 1, 300);
    pages = afterPage(pages, 2, null);
    expect(pageCount(pages)).toBe(2);
    expect(cursorOf(pages, 3)).toBeNull();
  });

  test("going back and reading again replaces what came after", () => {
    let pages = afterPage(firstPages(), 1, 300);
    pages = afterPage(pages, 2, 200);
    pages = afterPage(pages, 3, 100);
    // New requests arrived; page 1 now ends elsewhere.
    pages = afterPage(pages, 1, 350);
    expect(pages.cursors).toEqual([undefined, 350]);
    expect(cursorOf(pages, 0)).toBeNull();
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
