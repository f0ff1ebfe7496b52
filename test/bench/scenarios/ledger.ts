import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admit } from "../../../server/chat/admission.ts";
import { loadConfig } from "../../../server/config.ts";
import { checkpointInBackground } from "../../../server/ledger/checkpointer.ts";
import type { SettledRequest } from "../../../server/ledger/requests.ts";
import { createServices } from "../../../server/services.ts";
import { percentiles } from "../lib/stats.ts";
import type { Scenario } from "./types.ts";

const USD = 1e12;

/**
 * Reservation and settlement on a real SQLite file (WAL, checkpoints in a
 * worker, as the gateway runs): the admission transaction of every request
 * (caps checked, worst case reserved, ledger row opened) timed one by one,
 * then settlements as the gateway commits them (grouped per event-loop turn).
 */
export const ledger: Scenario = {
  name: "ledger",
  describe: (quick) =>
    `${size(quick)} admissions (reserve + ledger row) one by one, then their settlements: one at a time, and in turns of 250`,
  targets: [],
  async run({ quick, progress }) {
    const dir = mkdtempSync(join(tmpdir(), "sluice-bench-ledger-"));
    const services = createServices(
      loadConfig({
        SLUICE_DATA_DIR: dir,
        SLUICE_LOG_LEVEL: "silent",
        SLUICE_OPENAI_API_KEY: "sk-bench-000000",
      }),
    );
    const checkpoints = checkpointInBackground(services.db);
    try {
      services.sites.add("bench");
      services.policies.set("bench", "operator", {
        dayCapPicoUsd: 1_000_000 * USD,
        monthCapPicoUsd: 10_000_000 * USD,
        visitorDayCapPicoUsd: 1_000 * USD,
        requestCapPicoUsd: 10 * USD,
        models: null,
        softThreshold: null,
        timezone: "Europe/Paris",
      });
      const count = size(quick);
      progress(`${count} admissions`);
      const admissionsUs: number[] = [];
      for (let index = 0; index < count; index += 1) {
        const started = performance.now();
        admitOne(services, index);
        admissionsUs.push((performance.now() - started) * 1000);
      }

      progress("settlements one at a time");
      const single = Math.min(2000, Math.floor(count / 4));
      let started = performance.now();
      for (let index = 0; index < single; index += 1)
        await services.chat.settle(id(index), outcome());
      const singleSeconds = (performance.now() - started) / 1000;

      progress("settlements in turns of 250");
      started = performance.now();
      for (let index = single; index < count; index += 250) {
        const turn: Promise<void>[] = [];
        for (let offset = index; offset < Math.min(count, index + 250); offset += 1) {
          turn.push(services.chat.settle(id(offset), outcome()));
        }
        await Promise.all(turn);
      }
      const groupedSeconds = (performance.now() - started) / 1000;
      const grouped = count - single;

      const open = services.db.prepare("SELECT COUNT(*) FROM reservations").pluck().get() as number;
      if (open !== 0) throw new Error(`${open} reservations left after settling`);
      const { p50, p99 } = percentiles(admissionsUs);
      const mean = admissionsUs.reduce((sum, value) => sum + value, 0) / admissionsUs.length;
      const perSecondSingle = single / singleSeconds;
      const perSecondGrouped = grouped / groupedSeconds;
      const text = [
        "  step                                   p50 µs   p99 µs   mean µs",
        `  admission (caps + reserve + row)     ${fmt(p50)}   ${fmt(p99)}   ${fmt(mean)}`,
        "",
        "  settlements                            settled/s   µs each",
        `  one at a time (commit each)          ${rate(perSecondSingle)}   ${fmt(1e6 / perSecondSingle)}`,
        `  in turns of 250 (group commit)       ${rate(perSecondGrouped)}   ${fmt(1e6 / perSecondGrouped)}`,
      ].join("\n");
      return {
        text,
        checks: [
          {
            label: "ledger: reservation ≤ 100 µs",
            pass: p50 <= 100,
            detail: `admission p50 ${p50.toFixed(1)} µs (p99 ${p99.toFixed(1)} µs)`,
          },
          {
            label: "ledger: ≥ 10,000 settlements/s (single process)",
            pass: perSecondGrouped >= 10_000,
            detail: `${Math.round(perSecondGrouped)}/s grouped per turn, ${Math.round(perSecondSingle)}/s one at a time`,
          },
        ],
      };
    } finally {
      await checkpoints.stop();
      services.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

function size(quick: boolean): number {
  return quick ? 4000 : 20_000;
}

function id(index: number): string {
  return `req_bench_${index}`;
}

function admitOne(services: ReturnType<typeof createServices>, index: number): void {
  services.chat.transaction(() => {
    const choice = admit(services.chat, {
      requestId: id(index),
      siteId: "bench",
      visitor: `visitor-${index % 500}`,
      requestedModel: "openai/gpt-4o-mini",
      inputTokens: 120,
      maxTokens: 256,
      now: Date.now(),
    });
    services.ledger.open({
      id: id(index),
      siteId: "bench",
      visitor: `visitor-${index % 500}`,
      provider: choice.target.info.provider,
      model: choice.target.info.model,
      requestedModel: "openai/gpt-4o-mini",
      streamed: true,
      startedAt: Date.now(),
      inputTokens: 120,
      maxTokens: choice.target.maxTokens,
      reservedPicoUsd: choice.reservedPicoUsd,
      degradedFrom: choice.degradedFrom,
    });
  });
}

function outcome(): SettledRequest {
  return {
    status: "ok",
    provider: "openai",
    model: "gpt-4o-mini",
    usage: {
      inputTokens: 120,
      outputTokens: 80,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    usageSource: "reported",
    costPicoUsd: 120 * 150_000 + 80 * 600_000,
    priced: true,
    providerCostPicoUsd: undefined,
    finishReason: "stop",
    errorCode: null,
    latencyMs: 900,
    ttfcMs: 200,
    finishedAt: Date.now(),
  };
}

const fmt = (value: number) => value.toFixed(1).padStart(6);
const rate = (value: number) => Math.round(value).toLocaleString("en-US").padStart(9);
