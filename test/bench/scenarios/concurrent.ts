import { interleave } from "../lib/interleave.ts";
import { added, count, megabytes, ms, table } from "../lib/report.ts";
import type { StreamSpec } from "../lib/spec.ts";
import {
  type Figures,
  figuresOf,
  find,
  limitCheck,
  notes,
  ratioCheck,
  zeroFailures,
} from "./figures.ts";
import type { Check, Scenario } from "./types.ts";

interface Size {
  streams: number;
  chunks: number;
  rounds: number;
  /** Unrecorded streams per target before the rounds (see InterleaveOptions.warmup). */
  warmup: number;
}

export interface ConcurrentOptions {
  name: string;
  targets: string[];
  full: Size;
  quick: Size;
  intervalMs: number;
  /** Stream starts are spread over streams × this many ms (0.5: 1,000 streams open within 0.5 s). */
  rampMsPerStream: number;
  checks(scenario: string, figures: Figures[]): Check[];
}

/** N streams open at once against one target, batch after batch, round-robin over the targets. */
export function concurrent(options: ConcurrentOptions): Scenario {
  const sizeOf = (quick: boolean) => (quick ? options.quick : options.full);
  return {
    name: options.name,
    targets: options.targets,
    describe(quick) {
      const size = sizeOf(quick);
      return (
        `${size.streams} concurrent streams × ${size.chunks} chunks every ${options.intervalMs} ms, ` +
        `${size.rounds} round${size.rounds > 1 ? "s" : ""} per target, interleaved ` +
        `(starts spread over ${size.streams * options.rampMsPerStream} ms; a fresh keep-alive agent per batch)`
      );
    },
    async run(context) {
      const size = sizeOf(context.quick);
      const spec: StreamSpec = { chunks: size.chunks, intervalMs: options.intervalMs, firstMs: 0 };
      const began = performance.now();
      await context.upstream.stats();
      const tallies = await interleave(context.targets, {
        rounds: size.rounds,
        streams: size.streams,
        spec,
        rampMs: size.streams * options.rampMsPerStream,
        pauseMs: 500,
        agentPerBatch: true,
        warmup: size.warmup,
        progress: context.progress,
      });
      const upstream = await context.upstream.stats().catch(() => undefined);
      const figures = figuresOf(tallies);

      const timing = table(
        [
          "target",
          "ok",
          "TTFC p50",
          "+TTFC p50",
          "+TTFC p99",
          "gap p50",
          "gap p99",
          "+gap p50",
          "+gap p99",
          "+lag p50",
          "+lag p99",
        ],
        figures.map((entry) => [
          entry.name,
          count(entry.tally.streams - entry.tally.failed, entry.tally.streams),
          ms(entry.ttfc.p50),
          added(entry.addedTtfc.p50),
          added(entry.addedTtfc.p99),
          ms(entry.gap.p50),
          ms(entry.gap.p99),
          added(entry.addedGap.p50),
          added(entry.addedGap.p99),
          added(entry.addedLag.p50),
          added(entry.addedLag.p99),
        ]),
      );
      const cost = table(
        ["target", "peak RSS", "CPU s", "CPU ms/1k chunks", "client delay p99", "client delay max"],
        figures.map((entry) => [
          entry.name,
          megabytes(entry.tally.peakRssKb),
          entry.tally.cpuMs === undefined ? "—" : (entry.tally.cpuMs / 1000).toFixed(1),
          entry.tally.cpuMs === undefined || entry.tally.chunks === 0
            ? "—"
            : ms((entry.tally.cpuMs * 1000) / entry.tally.chunks),
          ms(entry.tally.clientLag.p99),
          ms(entry.tally.clientLag.max),
        ]),
      );
      const text = [
        timing,
        "  cost:",
        cost,
        notes(figures, upstream, performance.now() - began),
      ].join("\n");
      return { text, checks: options.checks(options.name, figures) };
    },
  };
}

export const c250 = concurrent({
  name: "c250",
  targets: ["direct", "relay", "portkey", "sluice"],
  full: { streams: 250, chunks: 100, rounds: 3, warmup: 50 },
  quick: { streams: 250, chunks: 25, rounds: 1, warmup: 20 },
  intervalMs: 20,
  rampMsPerStream: 0.5,
  checks: (scenario, figures) => {
    const sluice = find(figures, "sluice");
    const relay = find(figures, "relay");
    return [
      zeroFailures(scenario, sluice, "sluice"),
      ratioCheck(
        `${scenario}: sluice added gap p99 ≤ 2 × relay's`,
        { name: "sluice", value: sluice?.addedGap.p99 },
        { name: "relay", value: relay?.addedGap.p99 },
        2,
      ),
    ];
  },
});

export const c1000 = concurrent({
  name: "c1000",
  targets: ["direct", "relay", "portkey", "sluice"],
  full: { streams: 1000, chunks: 100, rounds: 2, warmup: 50 },
  quick: { streams: 1000, chunks: 10, rounds: 1, warmup: 20 },
  intervalMs: 20,
  rampMsPerStream: 0.5,
  checks: (scenario, figures) => {
    const sluice = find(figures, "sluice");
    return [
      zeroFailures(scenario, sluice, "sluice"),
      zeroFailures(scenario, find(figures, "relay"), "relay"),
      limitCheck(
        `${scenario}: sluice peak RSS ≤ 300 MB`,
        sluice?.tally.peakRssKb === undefined ? undefined : sluice.tally.peakRssKb / 1024,
        300,
        "MB",
      ),
    ];
  },
});
