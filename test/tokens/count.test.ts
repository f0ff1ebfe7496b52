import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { CountCache, countMessageTokens, countTextTokens } from "../../server/tokens/count.ts";

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

  it("count a repeated conversation's messages once, with the same totals", () => {
    const system = "You answer questions about our shop. ".repeat(20);
    const question = "Where is my order? ".repeat(30);
    const history = [
      { role: "system" as const, content: system },
      { role: "user" as const, content: question },
    ];
    const first = countMessageTokens(history);
    const again = countMessageTokens([...history, { role: "user", content: "Thanks" }]);
    expect(first).toBe(3 + 8 + countTextTokens(system) + countTextTokens(question));
    expect(again).toBe(first + 4 + countTextTokens("Thanks"));
  });
});

describe("CountCache", () => {
  const counter = () => {
    const seen: string[] = [];
    const count = (text: string) => {
      seen.push(text);
      return text.length;
    };
    return { seen, count };
  };

  it("counts a kept text once and a short one every time", () => {
    const { seen, count } = counter();
    const cache = new CountCache(count, { minChars: 4, maxChars: 100 });
    expect(cache.count("long text")).toBe(9);
    expect(cache.count("long text")).toBe(9);
    expect(cache.count("ab")).toBe(2);
    expect(cache.count("ab")).toBe(2);
    expect(seen).toEqual(["long text", "ab", "ab"]);
  });

  it("holds at most maxChars, dropping the least recently used text", () => {
    const { seen, count } = counter();
    const cache = new CountCache(count, { minChars: 1, maxChars: 20 });
    const [a, b, c, d, e] = ["aaaaa", "bbbbb", "ccccc", "ddddd", "eeeee"];
    for (const text of [a, b, c, a, d]) cache.count(text); // a is now more recent than b
    expect(cache.chars).toBe(20);
    cache.count(e); // 25 chars: b, the least recently used, goes
    expect(cache.chars).toBe(20);
    seen.length = 0;
    for (const text of [a, c, d, e, b]) cache.count(text);
    expect(seen).toEqual([b]);
  });

  it("never keeps a text over a quarter of its room", () => {
    const { seen, count } = counter();
    const cache = new CountCache(count, { minChars: 1, maxChars: 20 });
    cache.count("x".repeat(6));
    cache.count("x".repeat(6));
    expect(seen).toHaveLength(2);
    expect(cache.chars).toBe(0);
  });
});
