import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { countMessageTokens, countTextTokens } from "../../server/tokens/count.ts";

describe("token counts", () => {
  it("count with o200k_base", () => {
    expect(countTextTokens("")).toBe(0);
    expect(countTextTokens("Hello world")).toBe(2);
    expect(countMessageTokens([{ role: "user", content: "Hello world" }])).toBe(2 + 4 + 3);
  });

  it("count long text in slices that agree with one whole count within a token per slice", () => {
    const text = "The quick brown fox jumps over the lazy dog. ".repeat(500);
    const whole = countTokens(text);
    const sliced = countTextTokens(text);
    expect(Math.abs(sliced - whole)).toBeLessThanOrEqual(Math.ceil(text.length / 2048) + 1);
  });

  it("count a hostile unbroken megabyte without stalling", () => {
    expect(countTextTokens("x".repeat(1_000_000))).toBeGreaterThan(100_000);
  });
});
