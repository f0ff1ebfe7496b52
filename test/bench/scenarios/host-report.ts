import type { FpmSample } from "../lib/php-fpm.ts";
import { added, count, ms, table } from "../lib/report.ts";
import { type Percentiles, percentiles } from "../lib/stats.ts";
import type { HostTarget } from "../targets/host.ts";
import type { UpstreamStats } from "../upstream/index.ts";
import {
  type ChatTally,
  emptyChatTally,
  emptySiteTally,
  type HostMeasurements,
  MODES,
  type Mode,
  type SiteTally,
} from "./host-lanes.ts";
import type { Check } from "./types.ts";

/** The targets printed as PASS/MISS (docs/benchmarks.md, "Real hosts"). */
const HOME_P99_FACTOR = 2;
const CHUNK_P99_MARGIN_MS = 1;
const MAX_FAILURE_KINDS = 5;
const DEBUG_LOG_LINES = 8;

interface ChatFigures {
  tally: ChatTally;
  ttfc: Percentiles;
  ticket: Percentiles;
  streamTtfc: Percentiles;
  lag: Percentiles;
}

function chatFigures(tally: ChatTally): ChatFigures {
  return {
    tally,
    ttfc: percentiles(tally.ttfc),
    ticket: percentiles(tally.ticket),
    streamTtfc: percentiles(tally.streamTtfc),
    lag: percentiles(tally.lags),
  };
}

interface SiteFigures {
  tally: SiteTally;
  home: Percentiles;
  busyMean: number;
  busyMax: number;
  workers: number;
  /** Share of the samples with every worker busy. */
  saturated: number;
  queuedMax: number;
  /** PHP time (php-fpm's access log) spent on the lane's chats, ms per chat. */
  phpMsPerChat: number | undefined;
  /** PHP's own time for the home page (access log), p50. */
  homePhp: Percentiles;
}

function siteFigures(tally: SiteTally, chats: number): SiteFigures {
  const samples: FpmSample[] = tally.fpm;
  const busy = samples.map((sample) => sample.busy);
  const workers = Math.max(0, ...samples.map((sample) => sample.workers));
  // php-fpm logs the script (/index.php), not the route: the bench's only POSTs are its
  // chat and ticket requests, its only GETs the home page.
  const chatRequests = tally.requests.filter((request) => request.method === "POST");
  const chatMs = chatRequests.reduce((sum, request) => sum + request.ms, 0);
  return {
    tally,
    home: percentiles(tally.homeMs),
    busyMean: busy.length === 0 ? Number.NaN : busy.reduce((a, b) => a + b, 0) / busy.length,
    busyMax: Math.max(0, ...busy),
    workers,
    saturated:
      samples.length === 0
        ? Number.NaN
        : samples.filter((sample) => workers > 0 && sample.busy >= workers).length / samples.length,
    queuedMax: Math.max(0, ...samples.map((sample) => sample.queued)),
    phpMsPerChat: chats > 0 ? chatMs / chats : undefined,
    homePhp: percentiles(
      tally.requests.filter((request) => request.method === "GET").map((request) => request.ms),
    ),
  };
}

function ratio(a: number, b: number): string {
  if (Number.isNaN(a) || Number.isNaN(b) || b <= 0) return "n/a";
  const value = a / b;
  return `${value < 10 ? value.toFixed(2) : value.toFixed(0)}×`;
}

function percent(share: number): string {
  return Number.isNaN(share) ? "n/a" : `${(share * 100).toFixed(0)} %`;
}

function chatTable(figures: Map<Mode, ChatFigures>): string {
  const gateway = figures.get("gateway");
  const rows = MODES.map((mode) => {
    const entry = figures.get(mode) as ChatFigures;
    const isGateway = mode === "gateway";
    const dash = "—";
    return [
      mode,
      count(entry.tally.runs - entry.tally.failed, entry.tally.runs),
      ms(entry.ttfc.p50),
      ms(entry.ttfc.p99),
      isGateway || !gateway ? dash : ratio(entry.ttfc.p50, gateway.ttfc.p50),
      isGateway || !gateway ? dash : ratio(entry.ttfc.p99, gateway.ttfc.p99),
      mode === "direct" ? ms(entry.ticket.p50) : dash,
      mode === "direct" ? ms(entry.ticket.p99) : dash,
      mode === "direct" ? ms(entry.streamTtfc.p50) : dash,
      ms(entry.lag.p50),
      ms(entry.lag.p99),
      isGateway || !gateway ? dash : added(entry.lag.p50 - gateway.lag.p50),
      isGateway || !gateway ? dash : added(entry.lag.p99 - gateway.lag.p99),
      isGateway || !gateway ? dash : ratio(entry.lag.p99, gateway.lag.p99),
    ];
  });
  return table(
    [
      "mode",
      "chats ok",
      "TTFC p50",
      "TTFC p99",
      "×gw p50",
      "×gw p99",
      "ticket p50",
      "ticket p99",
      "stream p50",
      "lag p50",
      "lag p99",
      "+lag p50",
      "+lag p99",
      "lag ×gw p99",
    ],
    rows,
  );
}

function siteTable(idle: SiteFigures, figures: Map<Mode, SiteFigures>): string {
  const lanes: [string, SiteFigures][] = [["idle", idle]];
  for (const mode of MODES) {
    const entry = figures.get(mode);
    if (entry) lanes.push([mode, entry]);
  }
  const rows = lanes.map(([name, entry]) => [
    name,
    count(entry.tally.home.runs - entry.tally.home.failed, entry.tally.home.runs),
    ms(entry.home.p50),
    ms(entry.home.p99),
    ms(entry.home.max),
    name === "idle" ? "—" : ratio(entry.home.p50, idle.home.p50),
    name === "idle" ? "—" : ratio(entry.home.p99, idle.home.p99),
    ms(entry.homePhp.p50),
    Number.isNaN(entry.busyMean) ? "n/a" : `${entry.busyMean.toFixed(1)}/${entry.workers}`,
    `${entry.busyMax}/${entry.workers}`,
    percent(entry.saturated),
    String(entry.queuedMax),
    name === "idle" || name === "gateway" ? "—" : ms(entry.phpMsPerChat),
    `${(entry.tally.wallMs / 1000).toFixed(1)} s`,
  ]);
  return table(
    [
      "lane",
      "home ok",
      "home p50",
      "home p99",
      "home max",
      "p50 ×idle",
      "p99 ×idle",
      "home PHP p50",
      "busy mean",
      "busy max",
      "all busy",
      "queued max",
      "PHP ms/chat",
      "wall",
    ],
    rows,
  );
}

/** The direct lane's home-page loads, split at each batch's last ticket grant. */
function ticketSplit(entry: SiteFigures | undefined) {
  return {
    during: percentiles(entry?.tally.homeWhileTickets ?? []),
    after: percentiles(entry?.tally.homeAfterTickets ?? []),
  };
}

function ticketSplitLine(entry: SiteFigures | undefined, idle: SiteFigures): string {
  const { during, after } = ticketSplit(entry);
  const part = (label: string, figures: Percentiles) =>
    `${label} ${figures.count} loads, p50 ${ms(figures.p50)} / p99 ${ms(figures.p99)} ms (p99 ${ratio(figures.p99, idle.home.p99)} idle)`;
  return (
    "  direct, home page split at each batch's last ticket grant: " +
    `${part("sent while tickets were issued", during)}; ${part("after (only the answers streaming)", after)}`
  );
}

function failureLines(name: string, failures: ChatTally["failures"]): string[] {
  const kinds = [...failures.values()].sort((a, b) => b.count - a.count);
  const lines = kinds
    .slice(0, MAX_FAILURE_KINDS)
    .map(({ count: times, example }) => `  ${name} failures: ${times} × ${example.slice(0, 300)}`);
  if (kinds.length > MAX_FAILURE_KINDS) {
    lines.push(`  ${name} failures: … and ${kinds.length - MAX_FAILURE_KINDS} more kinds`);
  }
  return lines;
}

function figuresOf(measured: HostMeasurements) {
  const chats = measured.size.chats * measured.size.rounds;
  const load = new Map(
    MODES.map((mode) => {
      const lane = measured.load.get(mode);
      return [mode, lane ? chatFigures(lane.chats) : chatFigures(emptyChatTally())] as const;
    }),
  );
  const site = new Map(
    MODES.map((mode) => {
      const lane = measured.load.get(mode);
      return [mode, siteFigures(lane?.site ?? emptySiteTally(), chats)] as const;
    }),
  );
  const sequential = new Map(
    MODES.map((mode) => [mode, chatFigures(measured.sequential.get(mode) ?? emptyChatTally())]),
  );
  return { load, site, idle: siteFigures(measured.idle, 0), sequential };
}

export function hostReport(
  measured: HostMeasurements,
  site: HostTarget,
  upstream: UpstreamStats | undefined,
  wallMs: number,
): string {
  const { size } = measured;
  const figures = figuresOf(measured);
  const lines: string[] = [
    ...site.describeStack().map((line) => `  ${line}`),
    "",
    `  chats under load: ${size.rounds} × ${size.chats} concurrent per mode (starts 2 ms apart), ${size.chunks} chunks every 20 ms; the home page loaded every 100 ms beside them`,
    chatTable(figures.load),
    "",
    siteTable(figures.idle, figures.site),
    ticketSplitLine(figures.site.get("direct"), figures.idle),
    "",
    `  one chat at a time: ${size.sequentialRounds} rounds of one chat per mode, interleaved, ${size.sequentialChunks} chunks every 20 ms; keep-alive connections`,
    chatTable(figures.sequential),
    "  TTFC: request start → first content chunk; direct: from the ticket request's start (ticket call included);",
    "  ticket: POST /wp-json/sluice/v1/ticket, request → end of answer; stream: the gateway request's own TTFC (through nginx);",
    "  ×gw: ratio to the gateway alone (the sluice target, signed POST /v1/chat, no nginx); lag: chunk arrival − upstream send time,",
    "  chunks 1…n−1; +lag: minus the gateway alone's (same percentile, same lane).",
    "  home: GET / every 100 ms (open loop), request → last byte; home PHP p50: PHP-FPM's own time for it (its access log);",
    "  busy: PHP-FPM workers not waiting in accept(2), read from /proc every 100 ms; all busy: share of those readings with every",
    "  worker busy; queued max: most connections waiting in the pool socket's accept queue (/proc/net/tcp);",
    "  PHP ms/chat: PHP-FPM time on chat and ticket requests (its access log) per chat.",
  ];
  for (const mode of MODES) {
    lines.push(
      ...failureLines(`${mode} (under load)`, figures.load.get(mode)?.tally.failures ?? new Map()),
    );
    lines.push(
      ...failureLines(
        `${mode} (one at a time)`,
        figures.sequential.get(mode)?.tally.failures ?? new Map(),
      ),
    );
    lines.push(
      ...failureLines(
        `home page during ${mode}`,
        figures.site.get(mode)?.tally.home.failures ?? new Map(),
      ),
    );
  }
  lines.push(...failureLines("home page idle", figures.idle.tally.home.failures));
  const failed = [...figures.load.values(), ...figures.sequential.values()].some(
    (entry) => entry.tally.failed > 0,
  );
  if (failed) {
    const output = site.output().trim();
    if (output)
      lines.push(
        "  stack output:",
        ...output.split("\n").map((line) => `    | ${line.slice(0, 300)}`),
      );
  }
  const debug = site.debugLog().trim();
  if (debug) {
    const debugLines = debug.split("\n");
    lines.push(
      `  WordPress debug.log: ${debugLines.length} new line(s), the first ones:`,
      ...debugLines.slice(0, DEBUG_LOG_LINES).map((line) => `    | ${line.slice(0, 300)}`),
    );
  }
  lines.push(
    `  upstream event-loop delay: ${upstream ? `p99 ${ms(upstream.lag.p99)} ms, max ${ms(upstream.lag.max)} ms` : "n/a"}`,
    `  scenario wall time ${(wallMs / 1000).toFixed(1)} s`,
  );
  return lines.join("\n");
}

function notRun(label: string): Check {
  return { label, pass: undefined, detail: "not measured (the production stack did not run)" };
}

export function hostChecks(measured: HostMeasurements | undefined): Check[] {
  const labels = {
    failures: "host: direct mode zero failures under load",
    home: `host: direct mode home-page p99 ≤ ${HOME_P99_FACTOR} × idle`,
    relay: "host: relay mode under load (allowed to saturate)",
    ttfc: "host: direct mode TTFC p50 ≤ gateway alone + one ticket call (one chat at a time)",
    chunk: `host: direct mode per-chunk delay p99 ≤ gateway alone + ${CHUNK_P99_MARGIN_MS} ms (one chat at a time)`,
  };
  if (!measured) return Object.values(labels).map(notRun);
  const figures = figuresOf(measured);
  const direct = figures.load.get("direct") as ChatFigures;
  const directSite = figures.site.get("direct") as SiteFigures;
  const relay = figures.load.get("relay") as ChatFigures;
  const relaySite = figures.site.get("relay") as SiteFigures;
  const gatewayLoad = figures.load.get("gateway") as ChatFigures;
  const idle = figures.idle;
  const one = {
    gateway: figures.sequential.get("gateway") as ChatFigures,
    direct: figures.sequential.get("direct") as ChatFigures,
    relay: figures.sequential.get("relay") as ChatFigures,
  };

  const failureCheck: Check = {
    label: labels.failures,
    pass: direct.tally.runs > 0 && direct.tally.failed === 0,
    detail:
      `${direct.tally.failed}/${direct.tally.runs} chats failed (${measured.size.rounds} × ${measured.size.chats} concurrent); ` +
      `home page during them: ${directSite.tally.home.failed}/${directSite.tally.home.runs} failed`,
  };

  const homeLimit = HOME_P99_FACTOR * idle.home.p99;
  const homeCheck: Check =
    Number.isNaN(directSite.home.p99) || Number.isNaN(idle.home.p99)
      ? { label: labels.home, pass: undefined, detail: "not measured" }
      : {
          label: labels.home,
          pass: directSite.home.p99 <= homeLimit,
          detail:
            `p99 ${ms(directSite.home.p99)} ms during direct-mode chats vs ${HOME_P99_FACTOR} × idle ${ms(idle.home.p99)} ms = ${ms(homeLimit)} ms ` +
            `(ratio ${ratio(directSite.home.p99, idle.home.p99)}; p50 ${ms(directSite.home.p50)} vs ${ms(idle.home.p50)} ms; ` +
            `${directSite.home.count} and ${idle.home.count} loads; sent while tickets were issued p99 ${ms(ticketSplit(directSite).during.p99)} ms, ` +
            `after ${ms(ticketSplit(directSite).after.p99)} ms)`,
        };

  const relayCheck: Check = {
    label: labels.relay,
    pass: undefined,
    info: true,
    detail:
      `home-page p99 ${ms(relaySite.home.p99)} ms = ${ratio(relaySite.home.p99, idle.home.p99)} idle (p50 ${ms(relaySite.home.p50)} ms = ${ratio(relaySite.home.p50, idle.home.p50)}), ` +
      `${relaySite.tally.home.failed}/${relaySite.tally.home.runs} loads failed; all ${relaySite.workers} workers busy ${percent(relaySite.saturated)} of the time, ` +
      `up to ${relaySite.queuedMax} connections queued at PHP-FPM; chats TTFC p50 ${ms(relay.ttfc.p50)} / p99 ${ms(relay.ttfc.p99)} ms ` +
      `(gateway alone ${ms(gatewayLoad.ttfc.p50)} / ${ms(gatewayLoad.ttfc.p99)} ms), ${relay.tally.failed}/${relay.tally.runs} failed; ` +
      `PHP ${ms(relaySite.phpMsPerChat)} ms per chat vs ${ms(directSite.phpMsPerChat)} in direct mode`,
  };

  const ttfcLimit = one.gateway.ttfc.p50 + one.direct.ticket.p50;
  const ttfcCheck: Check =
    Number.isNaN(one.direct.ttfc.p50) || Number.isNaN(ttfcLimit)
      ? { label: labels.ttfc, pass: undefined, detail: "not measured" }
      : {
          label: labels.ttfc,
          pass: one.direct.ttfc.p50 <= ttfcLimit,
          detail:
            `direct ${ms(one.direct.ttfc.p50)} ms vs gateway ${ms(one.gateway.ttfc.p50)} + ticket ${ms(one.direct.ticket.p50)} = ${ms(ttfcLimit)} ms ` +
            `(ratio ${ratio(one.direct.ttfc.p50, ttfcLimit)}; the gateway request through nginx ${ms(one.direct.streamTtfc.p50)} ms; ` +
            `relay ${ms(one.relay.ttfc.p50)} ms = ${ratio(one.relay.ttfc.p50, one.gateway.ttfc.p50)} gateway)`,
        };

  const lagAdded = one.direct.lag.p99 - one.gateway.lag.p99;
  const chunkCheck: Check = Number.isNaN(lagAdded)
    ? { label: labels.chunk, pass: undefined, detail: "not measured" }
    : {
        label: labels.chunk,
        pass: lagAdded <= CHUNK_P99_MARGIN_MS,
        detail:
          `lag p99 direct ${ms(one.direct.lag.p99)} − gateway ${ms(one.gateway.lag.p99)} = ${added(lagAdded)} ms ` +
          `(limit ${CHUNK_P99_MARGIN_MS} ms; at p50 ${added(one.direct.lag.p50 - one.gateway.lag.p50)} ms; ` +
          `relay ${added(one.relay.lag.p99 - one.gateway.lag.p99)} ms at p99; under load: direct ${added(direct.lag.p99 - gatewayLoad.lag.p99)}, ` +
          `relay ${added(relay.lag.p99 - gatewayLoad.lag.p99)} ms)`,
      };

  return [failureCheck, homeCheck, relayCheck, ttfcCheck, chunkCheck];
}
