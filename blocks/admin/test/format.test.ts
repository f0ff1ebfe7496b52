import { describe, expect, test } from "vitest";
import { filenameFromDisposition } from "../lib/api";
import {
  capToText,
  formatDateTime,
  formatDay,
  formatDuration,
  formatInteger,
  formatMonth,
  formatPercent,
  formatPrice,
  formatTokens,
  formatUsd,
} from "../lib/format";

const en = "en-US";

describe("formatUsd", () => {
  test("cents from a cent up, with grouping", () => {
    expect(formatUsd(0, en)).toBe("$0.00");
    expect(formatUsd(5, en)).toBe("$5.00");
    expect(formatUsd(0.01, en)).toBe("$0.01");
    expect(formatUsd(1234.567, en)).toBe("$1,234.57");
  });

  test("two significant digits below a cent", () => {
    expect(formatUsd(0.000113, en)).toBe("$0.00011");
    expect(formatUsd(0.0042, en)).toBe("$0.0042");
    expect(formatUsd(0.009999, en)).toBe("$0.01");
  });

  test("other locales write their own way", () => {
    expect(formatUsd(1234.5, "de-DE")).toBe("1.234,50\u00a0$");
  });
});

describe("prices, caps, counts, shares", () => {
  test("prices per million tokens keep up to four decimals", () => {
    expect(formatPrice(0.075, en)).toBe("$0.075");
    expect(formatPrice(15, en)).toBe("$15.00");
    expect(formatPrice(0.0375, en)).toBe("$0.0375");
  });

  test("a cap as a form value: plain digits, no float noise", () => {
    expect(capToText(null)).toBe("");
    expect(capToText(5)).toBe("5");
    expect(capToText(0.1 + 0.2)).toBe("0.3");
    expect(capToText(0.000001)).toBe("0.000001");
    expect(capToText(1_000_000)).toBe("1000000");
  });

  test("integers and tokens", () => {
    expect(formatInteger(1234567, en)).toBe("1,234,567");
    expect(formatTokens(1234, 56, en)).toBe("1,234 → 56");
  });

  test("percentages are floored, so 99.6% is not yet 100%", () => {
    expect(formatPercent(0.8, en)).toBe("80%");
    expect(formatPercent(0.996, en)).toBe("99%");
    expect(formatPercent(1, en)).toBe("100%");
    expect(formatPercent(0.29, en)).toBe("29%");
    expect(formatPercent(-0.1, en)).toBe("0%");
  });
});

describe("durations and dates", () => {
  test("milliseconds or seconds; a dash when unknown", () => {
    expect(formatDuration(850, en)).toBe("850 ms");
    expect(formatDuration(2400, en)).toBe("2.4 s");
    expect(formatDuration(null, en)).toBe("—");
    expect(formatDuration(undefined, en)).toBe("—");
  });

  test("an instant in the given time zone", () => {
    expect(formatDateTime("2026-07-03T22:30:00Z", en, "Europe/Paris")).toBe(
      "Jul 4, 2026, 12:30 AM",
    );
    expect(formatDateTime("not a date", en)).toBe("not a date");
  });

  test("a local day stays that day whatever the browser's time zone", () => {
    expect(formatDay("2026-07-03", en)).toBe("Jul 3");
    expect(formatDay("2026-07-03", en, true)).toBe("Friday, July 3, 2026");
    expect(formatDay("nonsense", en)).toBe("nonsense");
    expect(formatMonth("2026-07", en)).toBe("July 2026");
  });
});

describe("filenameFromDisposition", () => {
  test("quoted, bare, or none", () => {
    expect(
      filenameFromDisposition('attachment; filename="sluice-site-requests-2026-07-03.csv"'),
    ).toBe("sluice-site-requests-2026-07-03.csv");
    expect(filenameFromDisposition("attachment; filename=export.csv")).toBe("export.csv");
    expect(filenameFromDisposition("attachment")).toBeUndefined();
    expect(filenameFromDisposition(null)).toBeUndefined();
    expect(filenameFromDisposition('attachment; filename="../../evil.csv"')).toBe(".._.._evil.csv");
  });
});
