import { describe, expect, it } from "vitest";
import {
  toIntegerUnits,
  usdPerMillionToUnits,
  usdPerTokenToUnits,
} from "../../server/pricing/units.ts";

describe("price units", () => {
  it("converts USD per token to µUSD per million tokens", () => {
    expect(usdPerTokenToUnits(1.5e-7)).toEqual({ units: 150000, exact: true });
    expect(usdPerTokenToUnits(0)).toEqual({ units: 0, exact: true });
  });

  it("absorbs float noise in both directions", () => {
    // 6e-8 * 1e12 = 59999.99999999999 and 1.65e-5 * 1e12 = 16500000.000000002
    expect(6e-8 * 1e12).not.toBe(60000);
    expect(usdPerTokenToUnits(6e-8)).toEqual({ units: 60000, exact: true });
    expect(usdPerTokenToUnits(1.65e-5)).toEqual({ units: 16500000, exact: true });
    expect(usdPerTokenToUnits(4.125e-6)).toEqual({ units: 4125000, exact: true });
  });

  it("rounds a price that is not an integer unit up, never down", () => {
    expect(usdPerTokenToUnits(3.33333333e-7)).toEqual({ units: 333334, exact: false });
    expect(usdPerTokenToUnits(1e-19)).toEqual({ units: 1, exact: false });
    expect(toIntegerUnits(1.0000001, 1)).toEqual({ units: 2, exact: false });
  });

  it("converts USD per million tokens", () => {
    expect(usdPerMillionToUnits(0.15)).toEqual({ units: 150000, exact: true });
    expect(usdPerMillionToUnits(0.6)).toEqual({ units: 600000, exact: true });
  });

  it("rejects negative and non-finite prices", () => {
    expect(() => usdPerTokenToUnits(-1e-6)).toThrow(RangeError);
    expect(() => usdPerTokenToUnits(Number.NaN)).toThrow(RangeError);
  });
});
