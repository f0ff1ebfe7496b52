import { describe, expect, it } from "vitest";
import { costOf } from "../../server/pricing/cost.ts";
import {
  capPicoUsdToUsd,
  formatUsd,
  formatUsdFixed,
  PICO_USD_PER_USD,
  picoUsdToUsd,
  rateToUsdPerMillion,
  usdToPicoUsd,
} from "../../server/pricing/money.ts";

describe("money", () => {
  it("has 1e12 picoUSD in a US dollar", () => {
    expect(PICO_USD_PER_USD).toBe(1_000_000_000_000);
  });

  it("prices 15 input + 1 output tokens of gpt-4o-mini at exactly 2.85e-06 USD", () => {
    const { costPicoUsd, priced } = costOf("openai", "gpt-4o-mini", {
      inputTokens: 15,
      outputTokens: 1,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
    expect(priced).toBe(true);
    expect(costPicoUsd).toBe(2_850_000);
    expect(picoUsdToUsd(costPicoUsd)).toBe(2.85e-6);
    expect(usdToPicoUsd(2.85e-6)).toBe(2_850_000);
  });

  it("turns picoUSD into USD exactly", () => {
    expect(picoUsdToUsd(0)).toBe(0);
    expect(picoUsdToUsd(1)).toBe(1e-12);
    expect(picoUsdToUsd(2_850_000)).toBe(2.85e-6);
    expect(picoUsdToUsd(70_000_000_000)).toBe(0.07);
    expect(picoUsdToUsd(5_000_000_000_000)).toBe(5);
    expect(capPicoUsdToUsd(null)).toBeNull();
    expect(capPicoUsdToUsd(250_000_000_000)).toBe(0.25);
  });

  it("turns USD caps into picoUSD to the nearest picoUSD, float noise rounded away", () => {
    // 0.27 * 1e12 = 270000000000.00003 and 2.01 * 1e12 = 2009999999999.9998
    expect(0.27 * PICO_USD_PER_USD).not.toBe(270_000_000_000);
    expect(2.01 * PICO_USD_PER_USD).not.toBe(2_010_000_000_000);
    expect(usdToPicoUsd(0.27)).toBe(270_000_000_000);
    expect(usdToPicoUsd(2.01)).toBe(2_010_000_000_000);
    expect(usdToPicoUsd(0)).toBe(0);
    expect(usdToPicoUsd(5)).toBe(5_000_000_000_000);
    expect(usdToPicoUsd(0.05)).toBe(50_000_000_000);
    expect(usdToPicoUsd(20.5)).toBe(20_500_000_000_000);
  });

  it("rounds a fraction of a picoUSD to the nearest, a half up", () => {
    expect(usdToPicoUsd(1.4e-12)).toBe(1);
    expect(usdToPicoUsd(1.6e-12)).toBe(2);
    expect(usdToPicoUsd(2.5e-12)).toBe(3);
    expect(usdToPicoUsd(4e-13)).toBe(0);
    expect(usdToPicoUsd(5e-13)).toBe(1);
  });

  it("round-trips every cap an admin can type to the cent", () => {
    for (let cents = 0; cents <= 100_000; cents += 7) {
      const usd = cents / 100;
      expect(usdToPicoUsd(usd)).toBe(cents * 10_000_000_000);
      expect(picoUsdToUsd(usdToPicoUsd(usd))).toBe(usd);
    }
  });

  it("turns a rate in µUSD per million tokens into USD per million", () => {
    expect(rateToUsdPerMillion(150_000)).toBe(0.15);
    expect(rateToUsdPerMillion(600_000)).toBe(0.6);
    expect(rateToUsdPerMillion(0)).toBe(0);
  });

  it("writes an amount for a sentence: $0, four decimals below a cent, two from a cent", () => {
    expect(formatUsd(0)).toBe("$0");
    expect(formatUsd(1)).toBe("$0.0000");
    expect(formatUsd(5_000_000_000)).toBe("$0.0050");
    expect(formatUsd(9_999_999_999)).toBe("$0.0100");
    expect(formatUsd(10_000_000_000)).toBe("$0.01");
    expect(formatUsd(250_000_000_000)).toBe("$0.25");
    expect(formatUsd(5_000_000_000_000)).toBe("$5.00");
    expect(formatUsd(1_234_567_000_000_000)).toBe("$1234.57");
  });

  it("writes an amount for a table with fixed decimals", () => {
    expect(formatUsdFixed(0, 6)).toBe("$0.000000");
    expect(formatUsdFixed(2_850_000, 6)).toBe("$0.000003");
    expect(formatUsdFixed(1_234_567_890_000, 6)).toBe("$1.234568");
  });
});
