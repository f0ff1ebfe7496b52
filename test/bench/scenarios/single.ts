import { interleave } from "../lib/interleave.ts";
import { added, count, megabytes, ms, table } from "../lib/report.ts";
import type { StreamSpec } from "../lib/spec.ts";
import { figuresOf, find, limitCheck, notes, ratioCheck } from "./figures.ts";
import type { Scenario } from "./types.ts";

const SPEC: StreamSpec = { chunks: 5, intervalMs: 2, firstMs: 0 };
const STREAMS = { full: 200, quick: 40 };

/** One stream at a time, repeated, round-robin over the targets: time to first chunk. */
export const single: Scenario = {
  name: "single",
  targets: ["direct", "relay", "portkey", "sluice"],
  describe: (quick) =>
    `${quick ? STREAMS.quick : STREAMS.full} sequential streams per target, interleaved ` +
    `(${SPEC.chunks} chunks, first at once, then every ${SPEC.intervalMs} ms; one keep-alive connection per target)`,
  async run(context) {
    const began = performance.now();
    await context.upstream.stats();
    const tallies = await interleave(context.targets, {
      rounds: context.quick ? STREAMS.quick : STREAMS.full,
      streams: 1,
      spec: SPEC,
      rampMs: 0,
      pauseMs: 0,
      agentPerBatch: false,
      warmup: 5,
      progress: context.progress,
    });
    const upstream = await context.upstream.stats().catch(() => undefined);
    const figures = figuresOf(tallies);

    const rows = figures.map((entry) => [
      entry.name,
      count(entry.tally.streams - entry.tally.failed, entry.tally.streams),
      ms(entry.ttfc.p50),
      ms(entry.ttfc.p99),
      added(entry.addedTtfc.p50),
      added(entry.addedTtfc.p99),
      added(entry.addedInbound.p50),
      added(entry.addedOutbound.p50),
      megabytes(entry.tally.peakRssKb),
      entry.tally.cpuMs === undefined
        ? "—"
        : ms(entry.tally.cpuMs / Math.max(1, entry.tally.streams)),
    ]);
    const text = [
      table(
        [
          "target",
          "ok",
          "TTFC p50",
          "TTFC p99",
          "+TTFC p50",
          "+TTFC p99",
          "+in p50",
          "+out p50",
          "peak RSS",
          "CPU ms/stream",
        ],
        rows,
      ),
      "  +in / +out: +TTFC p50 split at the upstream: request start → upstream sends chunk 0 / chunk 0 → client",
      notes(figures, upstream, performance.now() - began),
    ].join("\n");

    const sluice = find(figures, "sluice");
    const relay = find(figures, "relay");
    return {
      text,
      checks: [
        // The owner's decision (Express and the official SDKs stay on the main route):
        // ≤ 3.5 × the bare relay's, or ≤ 4 ms added; p99 ≤ 8 ms.
        ratioCheck(
          "single: sluice added TTFC p50 ≤ 3.5 × relay's or ≤ 4 ms",
          { name: "sluice", value: sluice?.addedTtfc.p50 },
          { name: "relay", value: relay?.addedTtfc.p50 },
          3.5,
          4,
        ),
        limitCheck("single: sluice added TTFC p99 ≤ 8 ms", sluice?.addedTtfc.p99, 8, "ms"),
      ],
    };
  },
};
