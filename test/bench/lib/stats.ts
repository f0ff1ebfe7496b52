/** Percentiles over a list of samples (milliseconds, usually). */

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export const NO_SAMPLES: Percentiles = {
  count: 0,
  p50: Number.NaN,
  p99: Number.NaN,
  max: Number.NaN,
};

/** p50, p99 and max, interpolating linearly between the two closest ranks. */
export function percentiles(samples: readonly number[]): Percentiles {
  if (samples.length === 0) return NO_SAMPLES;
  const sorted = Float64Array.from(samples).sort();
  return {
    count: sorted.length,
    p50: rank(sorted, 0.5),
    p99: rank(sorted, 0.99),
    max: sorted[sorted.length - 1] as number,
  };
}

function rank(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (position - low);
}

/** Appends without the spread operator (which overflows the stack on ~100k items). */
export function append(into: number[], values: readonly number[]): void {
  for (const value of values) into.push(value);
}
