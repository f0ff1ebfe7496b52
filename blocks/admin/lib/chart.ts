/**
 * The geometry of the daily-spend bar chart, apart from React: a "nice" scale
 * for the value axis, bar rectangles, and which bars get a label on the day axis.
 */

export interface Scale {
  /** The top of the value axis: a round number at or above the largest value. */
  max: number;
  /** Values of the gridlines, from 0 to max, evenly spaced. */
  ticks: number[];
}

const STEPS = [1, 2, 2.5, 5, 10];

/** The smallest "round" number (1, 2, 2.5 or 5 times a power of ten) at or above `value`. */
export function niceCeiling(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 0;
  const power = 10 ** Math.floor(Math.log10(value));
  const fraction = value / power;
  // A little tolerance so that 0.3 (really 0.30000000000000004) stays 0.3's step.
  const step = STEPS.find((candidate) => fraction <= candidate * (1 + 1e-9)) ?? 10;
  return step * power;
}

/**
 * A value axis for `values` with `intervals` equal steps: its top is the smallest
 * round step times `intervals` that holds the largest value. With nothing to
 * show (all zero), the axis goes up to `emptyMax` (a cent, for money).
 */
export function chartScale(values: number[], intervals = 4, emptyMax = 0.01): Scale {
  const largest = Math.max(0, ...values.filter((value) => Number.isFinite(value)));
  const step = largest > 0 ? niceCeiling(largest / intervals) : emptyMax / intervals;
  const max = step * intervals;
  const ticks = Array.from({ length: intervals + 1 }, (_, index) => round(step * index));
  return { max: round(max), ticks };
}

/** Rounds away float noise (0.1 * 3 → 0.3) while keeping tiny amounts. */
function round(value: number): number {
  return Number(value.toPrecision(12));
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface BarLayoutOptions {
  /** Width and height of the plotting area (axes excluded). */
  width: number;
  height: number;
  /** Share of each slot left empty between bars (0–0.9). */
  gap?: number;
  /** A value above zero is drawn at least this high, so that it is seen. */
  minVisible?: number;
}

/** One bar per value, left to right, bottom-aligned in a plot of the given size. */
export function layoutBars(values: number[], max: number, options: BarLayoutOptions): Bar[] {
  const { width, height, gap = 0.25, minVisible = 1 } = options;
  if (values.length === 0) return [];
  const slot = width / values.length;
  const barWidth = slot * (1 - Math.min(0.9, Math.max(0, gap)));
  return values.map((value, index) => {
    const share = max > 0 && value > 0 ? Math.min(1, value / max) : 0;
    const barHeight = share > 0 ? Math.max(minVisible, share * height) : 0;
    return {
      x: index * slot + (slot - barWidth) / 2,
      y: height - barHeight,
      width: barWidth,
      height: barHeight,
    };
  });
}

/**
 * Which bars get a label on the day axis when at most `maxLabels` fit: every
 * n-th one counted back from the last (today's), which always has one.
 */
export function labelledIndexes(count: number, maxLabels: number): Set<number> {
  const every = Math.max(1, Math.ceil(count / Math.max(1, maxLabels)));
  const indexes = new Set<number>();
  for (let index = count - 1; index >= 0; index -= every) indexes.add(index);
  return indexes;
}
