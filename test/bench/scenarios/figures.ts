import type { Tally } from "../lib/interleave.ts";
import type { LagReading } from "../lib/lag.ts";
import { megabytes, ms } from "../lib/report.ts";
import { type Percentiles, percentiles } from "../lib/stats.ts";
import type { UpstreamStats } from "../upstream/index.ts";
import type { Check } from "./types.ts";

export interface Added {
  p50: number | undefined;
  p99: number | undefined;
}

/** One target's figures in one scenario; "added" = this target's percentile minus direct's. */
export interface Figures {
  tally: Tally;
  name: string;
  ttfc: Percentiles;
  gap: Percentiles;
  lag: Percentiles;
  addedTtfc: Added;
  /** The added TTFC split: on the way in (to the upstream) and on the way out (chunk 0 back). */
  addedInbound: Added;
  addedOutbound: Added;
  addedGap: Added;
  addedLag: Added;
}

export const REFERENCE = "direct";
const MAX_FAILURE_KINDS = 5;
const OUTPUT_LINES = 12;

export function figuresOf(tallies: Map<string, Tally>): Figures[] {
  const reference = tallies.get(REFERENCE);
  const base = reference
    ? {
        ttfc: percentiles(reference.ttfc),
        inbound: percentiles(reference.inbound),
        outbound: percentiles(reference.outbound),
        gap: percentiles(reference.gaps),
        lag: percentiles(reference.lags),
      }
    : undefined;
  return [...tallies.values()].map((tally) => {
    const ttfc = percentiles(tally.ttfc);
    const gap = percentiles(tally.gaps);
    const lag = percentiles(tally.lags);
    const isReference = tally.target.name === REFERENCE;
    const minus = (own: Percentiles, ref: Percentiles | undefined): Added =>
      ref && !isReference
        ? { p50: own.p50 - ref.p50, p99: own.p99 - ref.p99 }
        : { p50: undefined, p99: undefined };
    return {
      tally,
      name: tally.target.name,
      ttfc,
      gap,
      lag,
      addedTtfc: minus(ttfc, base?.ttfc),
      addedInbound: minus(percentiles(tally.inbound), base?.inbound),
      addedOutbound: minus(percentiles(tally.outbound), base?.outbound),
      addedGap: minus(gap, base?.gap),
      addedLag: minus(lag, base?.lag),
    };
  });
}

export function find(figures: Figures[], name: string): Figures | undefined {
  return figures.find((entry) => entry.name === name);
}

/** Failure reasons (grouped) and the run's own health: upstream and client event-loop delay. */
export function notes(
  figures: Figures[],
  upstream: UpstreamStats | undefined,
  wallMs: number,
): string {
  const lines: string[] = [];
  for (const entry of figures) {
    const kinds = [...entry.tally.failures.values()].sort((a, b) => b.count - a.count);
    for (const { count, example } of kinds.slice(0, MAX_FAILURE_KINDS)) {
      lines.push(`  ${entry.name} failures: ${count} × ${example}`);
    }
    if (kinds.length > MAX_FAILURE_KINDS) {
      lines.push(`  ${entry.name} failures: … and ${kinds.length - MAX_FAILURE_KINDS} more kinds`);
    }
    const output = entry.tally.failed > 0 ? entry.tally.target.output().trim() : "";
    if (output) {
      const tail = output.split("\n").slice(-OUTPUT_LINES);
      lines.push(
        `  ${entry.name} output (last ${tail.length} lines):`,
        ...tail.map((line) => `    | ${line.slice(0, 300)}`),
      );
    }
  }
  const worst = figures.reduce<LagReading>(
    (acc, entry) => ({
      p50: Math.max(acc.p50, entry.tally.clientLag.p50),
      p99: Math.max(acc.p99, entry.tally.clientLag.p99),
      max: Math.max(acc.max, entry.tally.clientLag.max),
    }),
    { p50: 0, p99: 0, max: 0 },
  );
  lines.push(
    `  client event-loop delay (worst batch): p99 ${ms(worst.p99)} ms, max ${ms(worst.max)} ms` +
      (upstream
        ? `; upstream: p99 ${ms(upstream.lag.p99)} ms, max ${ms(upstream.lag.max)} ms`
        : "; upstream: n/a"),
  );
  lines.push(`  scenario wall time ${(wallMs / 1000).toFixed(1)} s`);
  return lines.join("\n");
}

/** PASS/MISS for "zero failures". */
export function zeroFailures(scenario: string, entry: Figures | undefined, name: string): Check {
  const label = `${scenario}: ${name} zero failures`;
  if (!entry) return { label, pass: undefined, detail: `${name} did not run` };
  const { failed, streams } = entry.tally;
  return {
    label,
    pass: streams > 0 && failed === 0,
    detail: `${failed}/${streams} streams failed`,
  };
}

/**
 * PASS/MISS for "a's added figure ≤ factor × b's added figure", or, with
 * `orAtMostMs`, "… or a's added figure ≤ that many ms".
 */
export function ratioCheck(
  label: string,
  a: { name: string; value: number | undefined },
  b: { name: string; value: number | undefined },
  factor: number,
  orAtMostMs?: number,
): Check {
  if (
    a.value === undefined ||
    b.value === undefined ||
    Number.isNaN(a.value) ||
    Number.isNaN(b.value)
  ) {
    return { label, pass: undefined, detail: "not measured" };
  }
  const limit = factor * b.value;
  const ratio = b.value > 0 ? ` (ratio ${(a.value / b.value).toFixed(2)})` : "";
  const absolute = orAtMostMs === undefined ? "" : `, or at most ${orAtMostMs} ms`;
  return {
    label,
    pass: a.value <= limit || (orAtMostMs !== undefined && a.value <= orAtMostMs),
    detail: `${a.name} ${signed(a.value)} ms vs ${factor} × ${b.name} ${signed(b.value)} ms = ${ms(limit)} ms${absolute}${ratio}`,
  };
}

export function limitCheck(
  label: string,
  value: number | undefined,
  limit: number,
  unit: string,
): Check {
  if (value === undefined || Number.isNaN(value))
    return { label, pass: undefined, detail: "not measured" };
  const shown = unit === "MB" ? megabytes(value * 1024) : `${signed(value)} ${unit}`;
  return { label, pass: value <= limit, detail: `${shown} (limit ${limit} ${unit})` };
}

function signed(value: number): string {
  return value >= 0 ? `+${ms(value)}` : ms(value);
}
