import type { Agent } from "node:http";
import type { StreamSpec } from "../lib/spec.ts";
import { isHostTarget } from "../targets/host.ts";
import {
  type ChatTally,
  chatBatch,
  chatRunner,
  emptyChatTally,
  emptySiteTally,
  type LaneOptions,
  lastTicketAt,
  MODES,
  type Mode,
  newAgent,
  recordChat,
  type SiteTally,
  withSiteWatch,
} from "./host-lanes.ts";
import { hostChecks, hostReport } from "./host-report.ts";
import type { Scenario } from "./types.ts";

const INTERVAL_MS = 20;
export const HOST_SIZES = {
  full: {
    chats: 50,
    chunks: 100,
    rounds: 3,
    idleMs: 3000,
    sequentialRounds: 30,
    sequentialChunks: 20,
  },
  quick: {
    chats: 10,
    chunks: 30,
    rounds: 1,
    idleMs: 2000,
    sequentialRounds: 6,
    sequentialChunks: 10,
  },
};
export type HostSize = (typeof HOST_SIZES)["full"];
/** The second client's cadence: the home page every 100 ms. */
export const HOME_EVERY_MS = 100;
/** How often PHP-FPM's workers and accept queue are read. */
export const FPM_SAMPLE_MS = 100;
/** A batch's chats start this far apart (50 chats: within 100 ms), as visitors do not click at once. */
export const RAMP_STEP_MS = 2;
/** Quiet time between two lanes: the last answers are settled, the workers idle. */
const PAUSE_MS = 1000;
/** Unrecorded chats per mode (and home-page loads) before measuring: opcache, pools. */
const WARMUP = 3;

/**
 * The production stack under load (docs/benchmarks.md, "Real hosts"): rounds of
 * `chats` concurrent chats per mode (the gateway alone, direct, relay) and an idle
 * lane, each with a second client loading the home page every 100 ms; then one chat
 * at a time per mode, interleaved, for TTFC and per-chunk delay against the gateway
 * alone.
 */
export const host: Scenario = {
  name: "host",
  targets: ["direct", "sluice", "host"],
  describe(quick) {
    const size = quick ? HOST_SIZES.quick : HOST_SIZES.full;
    return (
      `PHP-FPM with 5 workers (4 in the site's pool, 1 in the tickets pool): ${size.rounds} round(s) of ${size.chats} concurrent chats per mode ` +
      `(${size.chunks} chunks every ${INTERVAL_MS} ms) and an idle lane, with the home page loaded every ${HOME_EVERY_MS} ms; ` +
      `then ${size.sequentialRounds} rounds of one chat per mode (${size.sequentialChunks} chunks), interleaved`
    );
  },
  async run(context) {
    const size = context.quick ? HOST_SIZES.quick : HOST_SIZES.full;
    const began = performance.now();
    const site = context.targets.find(isHostTarget);
    const gateway = context.targets.find((target) => target.name === "sluice");
    if (!site || !gateway) {
      const why = context.startFailures.get("host") ?? context.startFailures.get("sluice");
      const error = `the host scenario needs the production stack and the gateway: ${why ?? "neither started"}`;
      return { text: `  ${error}`, checks: hostChecks(undefined), error };
    }
    const lane: LaneOptions = {
      host: site,
      homeEveryMs: HOME_EVERY_MS,
      fpmSampleMs: FPM_SAMPLE_MS,
    };
    const loadSpec: StreamSpec = { chunks: size.chunks, intervalMs: INTERVAL_MS, firstMs: 0 };
    const oneSpec: StreamSpec = {
      chunks: size.sequentialChunks,
      intervalMs: INTERVAL_MS,
      firstMs: 0,
    };
    await context.upstream.stats();

    context.progress(`warm-up: ${WARMUP} chats per mode, ${WARMUP} home-page loads`);
    const warmAgent = newAgent();
    for (const mode of MODES) {
      const run = chatRunner(mode, gateway, site, { ...oneSpec, chunks: 5 });
      for (let index = 0; index < WARMUP; index += 1) await run(warmAgent);
    }
    warmAgent.destroy();
    await withSiteWatch(lane, emptySiteTally(), () => pause(WARMUP * HOME_EVERY_MS));

    const idle = emptySiteTally();
    const load = new Map(
      MODES.map((mode) => [mode, { chats: emptyChatTally(), site: emptySiteTally() }]),
    );
    const lanes: ("idle" | Mode)[] = ["idle", ...MODES];
    for (let round = 0; round < size.rounds; round += 1) {
      for (let turn = 0; turn < lanes.length; turn += 1) {
        const name = lanes[(round + turn) % lanes.length] as "idle" | Mode;
        context.progress(`round ${round + 1}/${size.rounds}: ${name}`);
        if (name === "idle") {
          await withSiteWatch(lane, idle, () => pause(size.idleMs));
        } else {
          const tally = load.get(name) as { chats: ChatTally; site: SiteTally };
          const run = chatRunner(name, gateway, site, loadSpec);
          const outcomes = await withSiteWatch(
            lane,
            tally.site,
            () => chatBatch(run, size.chats, RAMP_STEP_MS),
            lastTicketAt,
          );
          for (const outcome of outcomes) recordChat(tally.chats, outcome);
        }
        await pause(PAUSE_MS);
      }
    }

    context.progress(`one chat at a time: ${size.sequentialRounds} rounds`);
    const sequential = new Map(MODES.map((mode) => [mode, emptyChatTally()]));
    const agents = new Map<Mode, Agent>(MODES.map((mode) => [mode, newAgent()]));
    try {
      for (let round = 0; round < size.sequentialRounds; round += 1) {
        for (let turn = 0; turn < MODES.length; turn += 1) {
          const mode = MODES[(round + turn) % MODES.length] as Mode;
          const run = chatRunner(mode, gateway, site, oneSpec);
          recordChat(sequential.get(mode) as ChatTally, await run(agents.get(mode) as Agent));
        }
      }
    } finally {
      for (const agent of agents.values()) agent.destroy();
    }
    const upstream = await context.upstream.stats().catch(() => undefined);

    const measured = { size, idle, load, sequential };
    const text = hostReport(measured, site, upstream, performance.now() - began);
    return { text, checks: hostChecks(measured) };
  },
};

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
