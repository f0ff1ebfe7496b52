import { Agent } from "node:http";
import { runStream, type StreamOutcome } from "../lib/client.ts";
import { type LagReading, lagMonitor } from "../lib/lag.ts";
import { cpuMsOf } from "../lib/proc.ts";
import { added, count, megabytes, ms, table } from "../lib/report.ts";
import { type TimedAnswer, timedRequest } from "../lib/request.ts";
import { type StreamSpec, streamDurationMs } from "../lib/spec.ts";
import { append, type Percentiles, percentiles } from "../lib/stats.ts";
import type { RunningTarget } from "../targets/types.ts";
import { isWordPressTarget, type WordPressTarget } from "../targets/wordpress.ts";
import type { Check, Scenario } from "./types.ts";

const INTERVAL_MS = 10;
const SIZES = {
  full: { rounds: 100, chunks: 20 },
  quick: { rounds: 20, chunks: 10 },
};
/** Unrecorded streams (and pings) per lane before the rounds: opcache, JIT, pools. */
const WARMUP = 5;
const PING = "wp-ping";
/** The targets printed as PASS/MISS (docs/benchmarks.md). */
const TTFC_FACTOR = 1.2;
const CHUNK_P99_LIMIT_MS = 0.5;
/**
 * Progressive: the median spread within ±10 % of the upstream's, and at most 5 % of
 * the streams "bunched" (spread under half the upstream's). Not "none": a stall of
 * the client's own event loop (100 ms and more on this machine) bunches a stream of
 * any target now and then; a buffering host bunches every one.
 */
const SPREAD_TOLERANCE = 0.1;
const SPREAD_FLOOR = 0.5;
const BUNCHED_SHARE = 0.05;
const MAX_FAILURE_KINDS = 5;
const DEBUG_LOG_LINES = 8;

/** One column of the rounds: a stream target, or the trivial route (a plain request). */
interface Lane {
  name: string;
  run(): Promise<StreamOutcome | TimedAnswer>;
  agent: Agent;
}

/** What was measured for one lane. */
interface LaneTally {
  name: string;
  runs: number;
  failed: number;
  failures: Map<string, { count: number; example: string }>;
  /** TTFC of a stream; the whole response time of the trivial route. */
  ttfc: number[];
  inbound: number[];
  outbound: number[];
  /** Lags of chunks 1…n−1 (chunk 0 is in the TTFC). */
  lags: number[];
  gaps: number[];
  /** Last − first content chunk arrival, per stream. */
  spreads: number[];
  chunks: number;
  gatewayCpuMs: number;
  phpCpuMs: number;
  cpuKnown: boolean;
  clientLag: LagReading;
}

interface LaneFigures {
  tally: LaneTally;
  ttfc: Percentiles;
  inbound: Percentiles;
  outbound: Percentiles;
  lag: Percentiles;
  gap: Percentiles;
  spread: Percentiles;
}

/**
 * The WordPress hop: one stream at a time through the plugin's chat route (wp),
 * the gateway alone (sluice) and the upstream (direct), plus a trivial REST route
 * of the same WordPress (wp-ping), interleaved round by round.
 */
export const php: Scenario = {
  name: "php",
  targets: ["direct", "sluice", "wp"],
  describe(quick) {
    const size = quick ? SIZES.quick : SIZES.full;
    return (
      `${size.rounds} rounds of one stream per target (${size.chunks} chunks, first at once, then every ${INTERVAL_MS} ms) ` +
      `and one request to a trivial WordPress REST route, interleaved; one keep-alive agent per target`
    );
  },
  async run(context) {
    const size = context.quick ? SIZES.quick : SIZES.full;
    const spec: StreamSpec = { chunks: size.chunks, intervalMs: INTERVAL_MS, firstMs: 0 };
    const began = performance.now();
    const wp = context.targets.find(isWordPressTarget);
    const sluice = context.targets.find((target) => target.name === "sluice");
    const lanes = lanesOf(context.targets, wp, spec);
    await context.upstream.stats();

    context.progress(`warm-up: ${WARMUP} per target`);
    for (const lane of lanes) {
      for (let index = 0; index < WARMUP; index += 1) await lane.run();
    }

    const tallies = new Map(lanes.map((lane) => [lane.name, emptyTally(lane.name)]));
    const monitor = lagMonitor();
    const gatewayPid = wp?.gateway.pid ?? sluice?.pid;
    const readCpu = () => ({
      gateway: gatewayPid === undefined ? undefined : cpuMsOf(gatewayPid),
      php: wp?.phpCpuMs(),
    });
    try {
      for (let round = 0; round < size.rounds; round += 1) {
        if (round % 25 === 0) context.progress(`round ${round + 1}/${size.rounds}`);
        for (let turn = 0; turn < lanes.length; turn += 1) {
          const lane = lanes[(round + turn) % lanes.length] as Lane;
          const tally = tallies.get(lane.name) as LaneTally;
          const before = readCpu();
          monitor.start();
          const outcome = await lane.run();
          monitor.stop();
          const after = readCpu();
          const lag = monitor.read();
          tally.clientLag = {
            p50: Math.max(tally.clientLag.p50, lag.p50),
            p99: Math.max(tally.clientLag.p99, lag.p99),
            max: Math.max(tally.clientLag.max, lag.max),
          };
          if (
            before.gateway === undefined ||
            after.gateway === undefined ||
            (wp && (before.php === undefined || after.php === undefined))
          ) {
            tally.cpuKnown = false;
          } else {
            tally.gatewayCpuMs += after.gateway - before.gateway;
            tally.phpCpuMs += (after.php ?? 0) - (before.php ?? 0);
          }
          record(tally, outcome);
        }
      }
    } finally {
      for (const lane of lanes) lane.agent.destroy();
    }
    const upstream = await context.upstream.stats().catch(() => undefined);

    const figures = new Map([...tallies].map(([name, tally]) => [name, figuresOf(tally)]));
    const text = [
      timingTable(figures),
      "  TTFC: request start → first content chunk; for wp-ping, request start → the end of its answer.",
      "  hop = wp − sluice (same percentile, same rounds): what WordPress and the plugin add in front of the gateway;",
      "  hop +in / +out: the hop's TTFC p50 split at the upstream (request start → upstream sends chunk 0 / chunk 0 → client).",
      "  CPU ms: per stream or request, from /proc around each one (10 ms ticks, summed): the gateway process, php -S and its workers.",
      "",
      chunkTable(figures, streamDurationMs(spec)),
      `  lag: chunk arrival − upstream send time, over chunks 1…${spec.chunks - 1} (chunk 0 is in the TTFC); hop lag = wp − sluice;`,
      `  spread: last − first content chunk arrival in a stream; the upstream's is ${ms(streamDurationMs(spec))} ms;`,
      `  bunched: streams whose spread was under ${SPREAD_FLOOR * 100} % of the upstream's (chunks held back, then delivered together).`,
      notes(figures, wp, upstream, performance.now() - began),
    ].join("\n");
    return { text, checks: checks(figures, spec, wp !== undefined) };
  },
};

function lanesOf(
  targets: RunningTarget[],
  wp: WordPressTarget | undefined,
  spec: StreamSpec,
): Lane[] {
  const lanes: Lane[] = targets.map((target) => {
    const agent = newAgent();
    return { name: target.name, agent, run: () => runStream(target, spec, agent) };
  });
  if (wp) {
    const agent = newAgent();
    lanes.push({
      name: PING,
      agent,
      run: async () => {
        const answer = await timedRequest({
          host: wp.host,
          port: wp.port,
          agent,
          ...wp.pingRequest(),
        });
        if (answer.failure === undefined && !answer.body.includes('"ok":true')) {
          answer.failure = `unexpected answer: ${answer.body.slice(0, 120)}`;
        }
        return answer;
      },
    });
  }
  return lanes;
}

function newAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
}

function record(tally: LaneTally, outcome: StreamOutcome | TimedAnswer): void {
  tally.runs += 1;
  if (outcome.failure !== undefined) {
    tally.failed += 1;
    const key = outcome.failure.replace(/[0-9a-f]{8,}/gi, "…").replace(/\d+(\.\d+)?/g, "N");
    const seen = tally.failures.get(key);
    if (seen) seen.count += 1;
    else tally.failures.set(key, { count: 1, example: outcome.failure });
    return;
  }
  if ("totalMs" in outcome) {
    tally.ttfc.push(outcome.totalMs);
    return;
  }
  if (outcome.ttfcMs !== undefined) tally.ttfc.push(outcome.ttfcMs);
  if (outcome.inboundMs !== undefined) tally.inbound.push(outcome.inboundMs);
  if (outcome.lags[0] !== undefined) tally.outbound.push(outcome.lags[0]);
  append(tally.lags, outcome.lags.slice(1));
  const { arrivals } = outcome;
  for (let index = 1; index < arrivals.length; index += 1) {
    tally.gaps.push((arrivals[index] as number) - (arrivals[index - 1] as number));
  }
  if (arrivals.length > 1) {
    tally.spreads.push((arrivals.at(-1) as number) - (arrivals[0] as number));
  }
  tally.chunks += arrivals.length;
}

function emptyTally(name: string): LaneTally {
  return {
    name,
    runs: 0,
    failed: 0,
    failures: new Map(),
    ttfc: [],
    inbound: [],
    outbound: [],
    lags: [],
    gaps: [],
    spreads: [],
    chunks: 0,
    gatewayCpuMs: 0,
    phpCpuMs: 0,
    cpuKnown: true,
    clientLag: { p50: 0, p99: 0, max: 0 },
  };
}

function figuresOf(tally: LaneTally): LaneFigures {
  return {
    tally,
    ttfc: percentiles(tally.ttfc),
    inbound: percentiles(tally.inbound),
    outbound: percentiles(tally.outbound),
    lag: percentiles(tally.lags),
    gap: percentiles(tally.gaps),
    spread: percentiles(tally.spreads),
  };
}

/** a − b for one percentile, undefined when either side is missing. */
function minus(
  a: LaneFigures | undefined,
  b: LaneFigures | undefined,
  pick: (figures: LaneFigures) => number,
): number | undefined {
  if (!a || !b) return undefined;
  const value = pick(a) - pick(b);
  return Number.isNaN(value) ? undefined : value;
}

function perRun(total: number, tally: LaneTally, shown: boolean): string {
  const ok = tally.runs;
  if (!shown || !tally.cpuKnown || ok === 0) return "—";
  return ms(total / ok);
}

function timingTable(figures: Map<string, LaneFigures>): string {
  const direct = figures.get("direct");
  const sluice = figures.get("sluice");
  const hasPhp = figures.has("wp");
  const rows = [...figures.values()].map((entry) => {
    const { tally } = entry;
    const name = tally.name;
    const isStream = name !== PING;
    const isDirect = name === "direct";
    const isHop = name === "wp";
    const dash = "—";
    return [
      name,
      count(tally.runs - tally.failed, tally.runs),
      ms(entry.ttfc.p50),
      ms(entry.ttfc.p99),
      isStream && !isDirect ? added(minus(entry, direct, (f) => f.ttfc.p50)) : dash,
      isStream && !isDirect ? added(minus(entry, direct, (f) => f.ttfc.p99)) : dash,
      isHop ? added(minus(entry, sluice, (f) => f.ttfc.p50)) : dash,
      isHop ? added(minus(entry, sluice, (f) => f.ttfc.p99)) : dash,
      isHop ? added(minus(entry, sluice, (f) => f.inbound.p50)) : dash,
      isHop ? added(minus(entry, sluice, (f) => f.outbound.p50)) : dash,
      perRun(tally.gatewayCpuMs, tally, !isDirect && name !== PING),
      perRun(tally.phpCpuMs, tally, hasPhp && (isHop || name === PING)),
    ];
  });
  return table(
    [
      "target",
      "ok",
      "TTFC p50",
      "TTFC p99",
      "+TTFC p50",
      "+TTFC p99",
      "hop p50",
      "hop p99",
      "hop +in p50",
      "hop +out p50",
      "gateway CPU ms",
      "PHP CPU ms",
    ],
    rows,
  );
}

/** One quantile (nearest rank) of a list of samples. */
function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Streams whose chunks arrived within less than half the upstream's spread. */
function bunched(spreads: readonly number[], nominalMs: number): number {
  return spreads.filter((spread) => spread < SPREAD_FLOOR * nominalMs).length;
}

function chunkTable(figures: Map<string, LaneFigures>, nominalMs: number): string {
  const direct = figures.get("direct");
  const sluice = figures.get("sluice");
  const rows = [...figures.values()]
    .filter((entry) => entry.tally.name !== PING)
    .map((entry) => {
      const name = entry.tally.name;
      const dash = "—";
      return [
        name,
        String(entry.lag.count),
        ms(entry.lag.p50),
        ms(entry.lag.p99),
        name === "direct" ? dash : added(minus(entry, direct, (f) => f.lag.p50)),
        name === "direct" ? dash : added(minus(entry, direct, (f) => f.lag.p99)),
        name === "wp" ? added(minus(entry, sluice, (f) => f.lag.p50)) : dash,
        name === "wp" ? added(minus(entry, sluice, (f) => f.lag.p99)) : dash,
        ms(entry.gap.p50),
        ms(entry.gap.p99),
        ms(entry.spread.p50),
        entry.spread.count === 0 ? "n/a" : ms(Math.min(...entry.tally.spreads)),
        count(bunched(entry.tally.spreads, nominalMs), entry.tally.spreads.length),
      ];
    });
  return table(
    [
      "target",
      "chunks",
      "lag p50",
      "lag p99",
      "+lag p50",
      "+lag p99",
      "hop lag p50",
      "hop lag p99",
      "gap p50",
      "gap p99",
      "spread p50",
      "spread min",
      "bunched",
    ],
    rows,
  );
}

function notes(
  figures: Map<string, LaneFigures>,
  wp: WordPressTarget | undefined,
  upstream: { lag: LagReading } | undefined,
  wallMs: number,
): string {
  const lines: string[] = [];
  if (wp) {
    lines.push(
      `  php: ${wp.describePhp()}; peak RSS of a php -S process ${megabytes(wp.phpPeakRssKb())}`,
    );
  } else {
    lines.push("  wp did not run: only direct and sluice were measured");
  }
  for (const entry of figures.values()) {
    const kinds = [...entry.tally.failures.values()].sort((a, b) => b.count - a.count);
    for (const { count: times, example } of kinds.slice(0, MAX_FAILURE_KINDS)) {
      lines.push(`  ${entry.tally.name} failures: ${times} × ${example}`);
    }
  }
  const wpFailed = (figures.get("wp")?.tally.failed ?? 0) + (figures.get(PING)?.tally.failed ?? 0);
  if (wp && wpFailed > 0) {
    const output = wp.output().trim();
    if (output) lines.push("  wp output:", ...output.split("\n").map((line) => `    | ${line}`));
  }
  const debug = wp?.debugLog().trim();
  if (debug) {
    const debugLines = debug.split("\n");
    lines.push(
      `  WordPress debug.log: ${debugLines.length} new line(s), the first ones:`,
      ...debugLines.slice(0, DEBUG_LOG_LINES).map((line) => `    | ${line.slice(0, 300)}`),
    );
  }
  let worst: LagReading = { p50: 0, p99: 0, max: 0 };
  for (const entry of figures.values()) {
    worst = {
      p50: Math.max(worst.p50, entry.tally.clientLag.p50),
      p99: Math.max(worst.p99, entry.tally.clientLag.p99),
      max: Math.max(worst.max, entry.tally.clientLag.max),
    };
  }
  lines.push(
    `  client event-loop delay (worst batch): p99 ${ms(worst.p99)} ms, max ${ms(worst.max)} ms` +
      (upstream
        ? `; upstream: p99 ${ms(upstream.lag.p99)} ms, max ${ms(upstream.lag.max)} ms`
        : "; upstream: n/a"),
  );
  lines.push(`  scenario wall time ${(wallMs / 1000).toFixed(1)} s`);
  return lines.join("\n");
}

function checks(figures: Map<string, LaneFigures>, spec: StreamSpec, ranWp: boolean): Check[] {
  const wp = figures.get("wp");
  const sluice = figures.get("sluice");
  const ping = figures.get(PING);
  const notRun = (label: string): Check => ({
    label,
    pass: undefined,
    detail: ranWp ? "not measured" : "wp did not run",
  });

  const ttfcLabel = `php: hop added TTFC p50 ≤ ${TTFC_FACTOR} × the trivial route's response time p50`;
  const hopTtfc = minus(wp, sluice, (f) => f.ttfc.p50);
  const pingMs = ping?.ttfc.p50;
  const ttfcCheck: Check =
    hopTtfc === undefined || pingMs === undefined || Number.isNaN(pingMs)
      ? notRun(ttfcLabel)
      : {
          label: ttfcLabel,
          pass: hopTtfc <= TTFC_FACTOR * pingMs,
          detail:
            `wp − sluice ${added(hopTtfc)} ms vs ${TTFC_FACTOR} × wp-ping ${ms(pingMs)} ms = ` +
            `${ms(TTFC_FACTOR * pingMs)} ms (ratio ${(hopTtfc / pingMs).toFixed(2)})`,
        };

  const chunkLabel = `php: hop added per-chunk delay p99 ≤ ${CHUNK_P99_LIMIT_MS} ms`;
  const hopLag99 = minus(wp, sluice, (f) => f.lag.p99);
  const hopLag50 = minus(wp, sluice, (f) => f.lag.p50);
  const hopLag90 =
    wp && sluice ? quantile(wp.tally.lags, 0.9) - quantile(sluice.tally.lags, 0.9) : Number.NaN;
  const chunkCheck: Check =
    hopLag99 === undefined || !wp || !sluice
      ? notRun(chunkLabel)
      : {
          label: chunkLabel,
          pass: hopLag99 <= CHUNK_P99_LIMIT_MS,
          detail:
            `chunk lag p99 wp ${ms(wp.lag.p99)} − sluice ${ms(sluice.lag.p99)} = ${added(hopLag99)} ms ` +
            `(limit ${CHUNK_P99_LIMIT_MS} ms; at p50 ${added(hopLag50)} ms, at p90 ${added(hopLag90)} ms)`,
        };

  const nominal = streamDurationMs(spec);
  const spreadLabel = "php: chunks arrive progressively through WordPress";
  const spreadCheck: Check =
    !wp || wp.spread.count === 0
      ? notRun(spreadLabel)
      : (() => {
          const held = bunched(wp.tally.spreads, nominal);
          const within = Math.abs(wp.spread.p50 - nominal) <= SPREAD_TOLERANCE * nominal;
          const few = held <= BUNCHED_SHARE * wp.spread.count;
          const others = ["direct", "sluice"]
            .map((name) => figures.get(name))
            .filter((entry) => entry !== undefined)
            .map(
              (entry) =>
                `${entry.tally.name} ${ms(entry.spread.p50)} ms, ${bunched(entry.tally.spreads, nominal)} bunched`,
            )
            .join("; ");
          return {
            label: spreadLabel,
            pass: within && few,
            detail:
              `first → last chunk at the client: wp p50 ${ms(wp.spread.p50)} ms vs the upstream's ${ms(nominal)} ms, ` +
              `${held}/${wp.spread.count} streams bunched (p50 within ±${SPREAD_TOLERANCE * 100} %, ` +
              `≤ ${BUNCHED_SHARE * 100} % bunched; ${others})`,
          };
        })();

  const failureLabel = "php: wp zero failures";
  const failureCheck: Check = !wp
    ? notRun(failureLabel)
    : {
        label: failureLabel,
        pass: wp.tally.runs > 0 && wp.tally.failed === 0 && (ping?.tally.failed ?? 0) === 0,
        detail:
          `${wp.tally.failed}/${wp.tally.runs} streams failed, ` +
          `${ping?.tally.failed ?? 0}/${ping?.tally.runs ?? 0} trivial-route requests failed`,
      };

  return [failureCheck, ttfcCheck, chunkCheck, spreadCheck];
}
