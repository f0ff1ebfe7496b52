import { describe, expect, test } from "vitest";
import { chartScale, labelledIndexes, layoutBars, niceCeiling } from "../lib/chart";

describe("niceCeiling", () => {
  test("rounds up to 1, 2, 2.5 or 5 times a power of ten", () => {
    expect(niceCeiling(0.7)).toBe(1);
    expect(niceCeiling(1)).toBe(1);
    expect(niceCeiling(1.2)).toBe(2);
    expect(niceCeiling(2.1)).toBe(2.5);
    expect(niceCeiling(3)).toBe(5);
    expect(niceCeiling(7)).toBe(10);
    expect(niceCeiling(0.0123)).toBeCloseTo(0.02, 12);
    expect(niceCeiling(0.0213)).toBeCloseTo(0.025, 12);
    expect(niceCeiling(420)).toBe(500);
  });

  test("keeps a value that is already round, despite float noise", () => {
    expect(niceCeiling(0.1 + 0.2)).toBeCloseTo(0.5, 12);
    expect(niceCeiling(0.2)).toBeCloseTo(0.2, 12);
  });

  test("nothing, negative or not a number: 0", () => {
    expect(niceCeiling(0)).toBe(0);
    expect(niceCeiling(-3)).toBe(0);
    expect(niceCeiling(Number.NaN)).toBe(0);
  });
});

describe("chartScale", () => {
  test("a top that holds the largest value, in equal round steps", () => {
    const scale = chartScale([0.12, 0.9, 3.2, 0]);
    expect(scale.max).toBe(4);
    expect(scale.ticks).toEqual([0, 1, 2, 3, 4]);
  });

  test("fractions of a cent stay exact", () => {
    const scale = chartScale([0.000113, 0.00031]);
    expect(scale.max).toBeCloseTo(0.0004, 12);
    expect(scale.ticks).toEqual([0, 0.0001, 0.0002, 0.0003, 0.0004]);
  });

  test("with nothing spent, the axis goes up to a cent", () => {
    expect(chartScale([0, 0, 0])).toEqual({
      max: 0.01,
      ticks: [0, 0.0025, 0.005, 0.0075, 0.01],
    });
    expect(chartScale([]).max).toBe(0.01);
  });

  test("ignores values that are not finite", () => {
    expect(chartScale([1, Number.NaN, Number.POSITIVE_INFINITY]).max).toBe(1);
  });
});

describe("layoutBars", () => {
  test("bars are bottom-aligned and proportional to the scale's top", () => {
    const bars = layoutBars([1, 2, 0, 4], 4, { width: 400, height: 100, gap: 0.5 });
    expect(bars).toHaveLength(4);
    expect(bars.map((bar) => bar.height)).toEqual([25, 50, 0, 100]);
    expect(bars.map((bar) => bar.y)).toEqual([75, 50, 100, 0]);
    expect(bars.map((bar) => bar.x)).toEqual([25, 125, 225, 325]);
    expect(bars.every((bar) => bar.width === 50)).toBe(true);
  });

  test("a tiny value above zero stays visible; a value above the top is clipped", () => {
    const [tiny, over] = layoutBars([0.0001, 10], 4, { width: 100, height: 100, minVisible: 2 });
    expect(tiny?.height).toBe(2);
    expect(over?.height).toBe(100);
  });

  test("no values, no bars", () => {
    expect(layoutBars([], 1, { width: 100, height: 100 })).toEqual([]);
  });
});

describe("labelledIndexes", () => {
  test("every bar when they fit", () => {
    expect([...labelledIndexes(7, 10)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  test("every n-th bar counted back from today's, which always has a label", () => {
    const labelled = labelledIndexes(30, 10);
    expect(labelled.has(29)).toBe(true);
    expect(labelled.size).toBeLessThanOrEqual(10);
    expect([...labelled].sort((a, b) => a - b)).toEqual([2, 5, 8, 11, 14, 17, 20, 23, 26, 29]);
    expect(labelledIndexes(90, 10).size).toBe(10);
  });
});
