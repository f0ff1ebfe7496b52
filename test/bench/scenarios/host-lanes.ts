import { Agent } from "node:http";
import { runStream, type StreamOutcome } from "../lib/client.ts";
import { type DirectChatOutcome, runDirectChat } from "../lib/direct-chat.ts";
import { fileSize } from "../lib/files.ts";
import { type FpmRequest, type FpmSample, fpmSampler, readAccessLog } from "../lib/php-fpm.ts";
import { type TimedAnswer, timedRequest } from "../lib/request.ts";
import type { StreamSpec } from "../lib/spec.ts";
import { append } from "../lib/stats.ts";
import type { HostTarget } from "../targets/host.ts";
import type { RunningTarget } from "../targets/types.ts";

/**
 * The lanes of the host scenario and what each one measures: chats of one mode
 * (gateway alone, direct, relay), the home-page client beside them, and PHP-FPM's
 * workers (sampled from /proc, and each request's time from php-fpm's access log).
 */
export type Mode = "gateway" | "direct" | "relay";
export const MODES: Mode[] = ["gateway", "direct", "relay"];

/** What was measured of the chats of one mode. */
export interface ChatTally {
  runs: number;
  failed: number;
  /** Failure reasons grouped (digits folded), with one raw example each. */
  failures: Map<string, { count: number; example: string }>;
  /** Request start (the ticket's, in direct mode) → first content chunk. */
  ttfc: number[];
  /** Direct mode: the ticket call, and the gateway request's own TTFC. */
  ticket: number[];
  streamTtfc: number[];
  /** Chunk arrival − upstream send time, chunks 1…n−1 (chunk 0 is in the TTFC). */
  lags: number[];
}

/** What one lane of the load phase saw besides its chats. */
export interface SiteTally {
  home: { runs: number; failed: number; failures: Map<string, { count: number; example: string }> };
  /** Home-page response times (request start → last byte) of the requests that answered 200. */
  homeMs: number[];
  /**
   * Direct mode: the same, split at the moment the batch's last ticket was granted
   * (requests sent before it, while tickets were being issued, and after it, while
   * only the answers streamed).
   */
  homeWhileTickets: number[];
  homeAfterTickets: number[];
  fpm: FpmSample[];
  /** php-fpm's access log lines written during the lane. */
  requests: FpmRequest[];
  /** Lane wall time, ms (all rounds). */
  wallMs: number;
}

/** Everything the host scenario measured. */
export interface HostMeasurements {
  size: {
    chats: number;
    chunks: number;
    rounds: number;
    idleMs: number;
    sequentialRounds: number;
    sequentialChunks: number;
  };
  /** The home page with no chat running. */
  idle: SiteTally;
  /** Per mode: its concurrent chats, and the site beside them. */
  load: Map<Mode, { chats: ChatTally; site: SiteTally }>;
  /** Per mode: one chat at a time. */
  sequential: Map<Mode, ChatTally>;
}

export function emptyChatTally(): ChatTally {
  return {
    runs: 0,
    failed: 0,
    failures: new Map(),
    ttfc: [],
    ticket: [],
    streamTtfc: [],
    lags: [],
  };
}

export function emptySiteTally(): SiteTally {
  return {
    home: { runs: 0, failed: 0, failures: new Map() },
    homeMs: [],
    homeWhileTickets: [],
    homeAfterTickets: [],
    fpm: [],
    requests: [],
    wallMs: 0,
  };
}

export function newAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
}

/** One chat of a mode, as its client runs it. */
export function chatRunner(
  mode: Mode,
  gateway: RunningTarget,
  host: HostTarget,
  spec: StreamSpec,
): (agent: Agent) => Promise<StreamOutcome | DirectChatOutcome> {
  if (mode === "gateway") return (agent) => runStream(gateway, spec, agent);
  if (mode === "relay") return (agent) => runStream(host, spec, agent);
  return (agent) => runDirectChat(host, spec, agent);
}

function countFailure(
  tally: { failed: number; failures: Map<string, { count: number; example: string }> },
  failure: string,
): void {
  tally.failed += 1;
  const key = failure.replace(/[0-9a-f]{8,}/gi, "…").replace(/\d+(\.\d+)?/g, "N");
  const seen = tally.failures.get(key);
  if (seen) seen.count += 1;
  else tally.failures.set(key, { count: 1, example: failure });
}

export function recordChat(tally: ChatTally, outcome: StreamOutcome | DirectChatOutcome): void {
  tally.runs += 1;
  if (outcome.failure !== undefined) {
    countFailure(tally, outcome.failure);
    return;
  }
  if (outcome.ttfcMs !== undefined) tally.ttfc.push(outcome.ttfcMs);
  if ("ticketMs" in outcome) {
    if (outcome.ticketMs !== undefined) tally.ticket.push(outcome.ticketMs);
    if (outcome.streamTtfcMs !== undefined) tally.streamTtfc.push(outcome.streamTtfcMs);
  }
  append(tally.lags, outcome.lags.slice(1));
}

/** A home-page answer and when its request was sent (performance.now()). */
interface HomeLoad {
  sentAt: number;
  answer: TimedAnswer;
}

function recordHome(tally: SiteTally, load: HomeLoad, splitAt: number | undefined): void {
  tally.home.runs += 1;
  if (load.answer.failure !== undefined) {
    countFailure(tally.home, load.answer.failure);
    return;
  }
  tally.homeMs.push(load.answer.totalMs);
  if (splitAt === undefined) return;
  (load.sentAt < splitAt ? tally.homeWhileTickets : tally.homeAfterTickets).push(
    load.answer.totalMs,
  );
}

const HOME_TIMEOUT_MS = 120_000;

/**
 * The second client: GET / every `everyMs`, on schedule whatever the answers do
 * (open loop: a slow answer does not delay the next request, as a site's visitors
 * do not wait for each other), until stopped; then waits for the answers still out.
 */
function homeClient(host: HostTarget, everyMs: number) {
  const agent = newAgent();
  const pending: Promise<HomeLoad>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  return {
    start(): void {
      const began = performance.now();
      const next = (index: number) => {
        if (stopped) return;
        const sentAt = performance.now();
        pending.push(
          timedRequest({
            host: host.host,
            port: host.port,
            agent,
            timeoutMs: HOME_TIMEOUT_MS,
            ...host.homeRequest(),
          }).then((answer) => ({ sentAt, answer })),
        );
        const wait = began + (index + 1) * everyMs - performance.now();
        timer = setTimeout(() => next(index + 1), Math.max(0, wait));
      };
      next(0);
    },
    async stop(): Promise<HomeLoad[]> {
      stopped = true;
      if (timer) clearTimeout(timer);
      const answers = await Promise.all(pending);
      agent.destroy();
      return answers;
    },
  };
}

export interface LaneOptions {
  host: HostTarget;
  homeEveryMs: number;
  fpmSampleMs: number;
}

/**
 * Runs `work` (a batch of chats, or a pause for the idle lane; neither throws) with
 * the home-page client and the PHP-FPM sampler beside it, and adds what they saw to
 * `site`. `splitAt` (a direct batch's last ticket grant) splits the home-page loads.
 */
export async function withSiteWatch<T>(
  options: LaneOptions,
  site: SiteTally,
  work: () => Promise<T>,
  splitAt?: (result: T) => number | undefined,
): Promise<T> {
  const { host } = options;
  const sampler = fpmSampler(host.phpFpmPid, host.phpFpmPort, options.fpmSampleMs);
  const logStart = fileSize(host.phpFpmAccessLog);
  const home = homeClient(host, options.homeEveryMs);
  const began = performance.now();
  sampler.start();
  home.start();
  const result = await work();
  const split = splitAt?.(result);
  for (const load of await home.stop()) recordHome(site, load, split);
  site.fpm.push(...sampler.stop());
  site.wallMs += performance.now() - began;
  // php-fpm logs a request once it has ended: give the last one a moment.
  await new Promise((resolve) => setTimeout(resolve, 100));
  site.requests.push(...readAccessLog(host.phpFpmAccessLog, logStart).requests);
  return result;
}

/** When the batch's last ticket was granted (performance.now()); undefined for other modes. */
export function lastTicketAt(outcomes: (StreamOutcome | DirectChatOutcome)[]): number | undefined {
  const times = outcomes.flatMap((outcome) =>
    "ticketAt" in outcome && outcome.ticketAt !== undefined ? [outcome.ticketAt] : [],
  );
  return times.length > 0 ? Math.max(...times) : undefined;
}

/** `count` chats of one mode, started `rampStepMs` apart, each its own visitor; all open at once. */
export async function chatBatch(
  run: (agent: Agent) => Promise<StreamOutcome | DirectChatOutcome>,
  count: number,
  rampStepMs: number,
): Promise<(StreamOutcome | DirectChatOutcome)[]> {
  const agent = newAgent();
  try {
    return await Promise.all(
      Array.from(
        { length: count },
        (_, index) =>
          new Promise<StreamOutcome | DirectChatOutcome>((resolve) => {
            setTimeout(() => resolve(run(agent)), index * rampStepMs);
          }),
      ),
    );
  } finally {
    agent.destroy();
  }
}
