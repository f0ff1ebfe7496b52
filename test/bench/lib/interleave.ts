import { Agent } from "node:http";
import type { RunningTarget } from "../targets/types.ts";
import { runStream, type StreamOutcome } from "./client.ts";
import { type LagReading, lagMonitor } from "./lag.ts";
import { cpuMsOf, memoryOf, resetPeak } from "./proc.ts";
import type { StreamSpec } from "./spec.ts";
import { append } from "./stats.ts";

/** Everything measured for one target over one scenario. */
export interface Tally {
  target: RunningTarget;
  streams: number;
  failed: number;
  /** Failure reasons grouped (digits folded), with one raw example each. */
  failures: Map<string, { count: number; example: string }>;
  /** Samples from the streams that succeeded, in ms. */
  ttfc: number[];
  /** TTFC split in two: request start → upstream sends chunk 0, and chunk 0's lag back. */
  inbound: number[];
  outbound: number[];
  gaps: number[];
  lags: number[];
  chunks: number;
  /** CPU the target's process used during the scenario, ms. */
  cpuMs: number | undefined;
  /** Peak resident memory of the target's process during the scenario, kB. */
  peakRssKb: number | undefined;
  /** The client's own event-loop delay while this target's batches ran (worst batch). */
  clientLag: LagReading;
}

export interface InterleaveOptions {
  /** Batches per target; round r starts with target r mod n, so drift hits all alike. */
  rounds: number;
  /** Streams per batch, all open at once (after the ramp). */
  streams: number;
  spec: StreamSpec;
  /** The batch's stream starts are spread evenly over this many ms. */
  rampMs: number;
  /** Quiet time after each batch, so one target's leftovers don't land on the next. */
  pauseMs: number;
  /** A new keep-alive agent per batch (concurrent runs) or one per target (sequential runs). */
  agentPerBatch: boolean;
  /**
   * Streams per target run (and discarded) before the rounds, with at most 5
   * chunks each: JIT, connection pools and lazy loading are warm when measuring.
   */
  warmup: number;
  progress(text: string): void;
}

const MEMORY_SAMPLE_MS = 100;

/** Runs the same batches against each target, round-robin, and tallies the outcomes. */
export async function interleave(
  targets: RunningTarget[],
  options: InterleaveOptions,
): Promise<Map<string, Tally>> {
  const tallies = new Map<string, Tally>();
  for (const target of targets) tallies.set(target.name, emptyTally(target));
  if (options.warmup > 0) await warmUp(targets, options);

  const watch = watchResources(targets);
  const agents = new Map<string, Agent>();
  const monitor = lagMonitor();
  try {
    for (let round = 0; round < options.rounds; round += 1) {
      if (options.streams > 1 || round % 50 === 0) {
        options.progress(`round ${round + 1}/${options.rounds}`);
      }
      for (let turn = 0; turn < targets.length; turn += 1) {
        const target = targets[(round + turn) % targets.length] as RunningTarget;
        const tally = tallies.get(target.name) as Tally;
        let agent = agents.get(target.name);
        if (!agent || options.agentPerBatch) {
          agent = newAgent();
          agents.set(target.name, agent);
        }
        monitor.start();
        const outcomes = await batch(target, agent, options);
        monitor.stop();
        const lag = monitor.read();
        tally.clientLag = {
          p50: Math.max(tally.clientLag.p50, lag.p50),
          p99: Math.max(tally.clientLag.p99, lag.p99),
          max: Math.max(tally.clientLag.max, lag.max),
        };
        for (const outcome of outcomes) record(tally, outcome);
        if (options.agentPerBatch) agent.destroy();
        if (options.pauseMs > 0) await sleep(options.pauseMs);
      }
    }
  } finally {
    for (const agent of agents.values()) agent.destroy();
    const usage = watch.finish();
    for (const [name, { cpuMs, peakRssKb }] of usage) {
      const tally = tallies.get(name) as Tally;
      tally.cpuMs = cpuMs;
      tally.peakRssKb = peakRssKb;
    }
  }
  return tallies;
}

/** Unrecorded streams (at most 5 chunks each) so that JIT, pools and lazy loading are warm. */
async function warmUp(targets: RunningTarget[], options: InterleaveOptions): Promise<void> {
  options.progress(`warm-up: ${options.warmup} stream(s) per target`);
  const spec = { ...options.spec, chunks: Math.min(options.spec.chunks, 5) };
  const warm = { ...options, streams: options.warmup, spec };
  for (const target of targets) {
    const agent = newAgent();
    await batch(target, agent, warm);
    agent.destroy();
  }
  await sleep(options.pauseMs);
}

/**
 * CPU time and peak RSS of each target's process from now until finish():
 * VmHWM after resetting it (clear_refs), or else the highest VmRSS sampled
 * every 100 ms, whichever is higher.
 */
function watchResources(targets: RunningTarget[]) {
  const watched = targets.filter((target) => target.pid !== undefined);
  const cpuAtStart = new Map<string, number | undefined>();
  const peakReset = new Map<string, boolean>();
  const sampled = new Map<string, number>();
  for (const target of watched) {
    const pid = target.pid as number;
    peakReset.set(target.name, resetPeak(pid));
    cpuAtStart.set(target.name, cpuMsOf(pid));
  }
  const sampler = setInterval(() => {
    for (const target of watched) {
      const rss = memoryOf(target.pid as number)?.rssKb ?? 0;
      sampled.set(target.name, Math.max(sampled.get(target.name) ?? 0, rss));
    }
  }, MEMORY_SAMPLE_MS);
  return {
    finish() {
      clearInterval(sampler);
      const usage = new Map<string, { cpuMs: number | undefined; peakRssKb: number | undefined }>();
      for (const target of watched) {
        const pid = target.pid as number;
        const start = cpuAtStart.get(target.name);
        const end = cpuMsOf(pid);
        const hwm = peakReset.get(target.name) ? (memoryOf(pid)?.peakKb ?? 0) : 0;
        usage.set(target.name, {
          cpuMs: start === undefined || end === undefined ? undefined : end - start,
          peakRssKb: Math.max(hwm, sampled.get(target.name) ?? 0) || undefined,
        });
      }
      return usage;
    },
  };
}

function newAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, maxFreeSockets: 4096 });
}

/** One batch: `streams` streams against one target, their starts spread over the ramp. */
function batch(
  target: RunningTarget,
  agent: Agent,
  options: InterleaveOptions,
): Promise<StreamOutcome[]> {
  const runs: Promise<StreamOutcome>[] = [];
  const step = options.streams > 1 ? options.rampMs / options.streams : 0;
  for (let index = 0; index < options.streams; index += 1) {
    const delay = index * step;
    runs.push(
      delay === 0
        ? runStream(target, options.spec, agent)
        : sleep(delay).then(() => runStream(target, options.spec, agent)),
    );
  }
  return Promise.all(runs);
}

function record(tally: Tally, outcome: StreamOutcome): void {
  tally.streams += 1;
  if (outcome.failure !== undefined) {
    tally.failed += 1;
    // Fold ids and numbers, so that failures of one kind group together.
    const key = outcome.failure.replace(/[0-9a-f]{8,}/gi, "…").replace(/\d+(\.\d+)?/g, "N");
    const seen = tally.failures.get(key);
    if (seen) seen.count += 1;
    else tally.failures.set(key, { count: 1, example: outcome.failure });
    return;
  }
  if (outcome.ttfcMs !== undefined) tally.ttfc.push(outcome.ttfcMs);
  if (outcome.inboundMs !== undefined) tally.inbound.push(outcome.inboundMs);
  if (outcome.lags[0] !== undefined) tally.outbound.push(outcome.lags[0]);
  const { arrivals } = outcome;
  for (let index = 1; index < arrivals.length; index += 1) {
    tally.gaps.push((arrivals[index] as number) - (arrivals[index - 1] as number));
  }
  append(tally.lags, outcome.lags);
  tally.chunks += arrivals.length;
}

function emptyTally(target: RunningTarget): Tally {
  return {
    target,
    streams: 0,
    failed: 0,
    failures: new Map(),
    ttfc: [],
    inbound: [],
    outbound: [],
    gaps: [],
    lags: [],
    chunks: 0,
    cpuMs: undefined,
    peakRssKb: undefined,
    clientLag: { p50: 0, p99: 0, max: 0 },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
