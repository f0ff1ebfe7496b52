import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { createParser } from "eventsource-parser";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import type { Db } from "../../server/ledger/db.ts";
import { createLogger } from "../../server/logger.ts";
import { reclaimExpired, startGateway } from "../../server/serve.ts";
import { chatBody, type ParsedEvent, startTestGateway, toParsed } from "../support/gateway.ts";

/**
 * The database starts refusing writes mid-run: temporary triggers on the
 * gateway's own connection make every write to the ledger tables fail with a
 * real SQLite error through the real driver, as a full disk or an I/O error
 * would; dropping them is the disk coming back.
 */
const TABLES = ["requests", "spend_counters", "reservations"];

function failWrites(db: Db): void {
  for (const table of TABLES) {
    for (const op of ["INSERT", "UPDATE", "DELETE"]) {
      db.exec(
        `CREATE TEMP TRIGGER fault_${op}_${table} BEFORE ${op} ON main.${table}
         BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END`,
      );
    }
  }
}

function healWrites(db: Db): void {
  for (const table of TABLES) {
    for (const op of ["INSERT", "UPDATE", "DELETE"]) db.exec(`DROP TRIGGER fault_${op}_${table}`);
  }
}

/** Sends a chat and reads it until its first content; `rest()` reads the remainder. */
async function startChat(request: (path: string, init: { body: object }) => Promise<Response>) {
  const response = await request("/v1/chat", { body: chatBody("tell me a story") });
  const events: ParsedEvent[] = [];
  const parser = createParser({ onEvent: (message) => events.push(toParsed(message)) });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const readUntil = async (done: () => boolean) => {
    while (!done()) {
      const part = await reader.read();
      if (part.done) return;
      parser.feed(decoder.decode(part.value, { stream: true }));
    }
  };
  await readUntil(() => events.some((event) => event.json?.type === "content"));
  return {
    events,
    rest: async () => {
      await readUntil(() => false);
      return events;
    },
  };
}

function ledgerState(db: Db, requestId: string) {
  const row = db
    .prepare("SELECT status, cost_picousd FROM requests WHERE id = ?")
    .get(requestId) as { status: string; cost_picousd: number };
  const counters = db
    .prepare(
      "SELECT SUM(settled_picousd) AS settled, SUM(reserved_picousd) AS reserved FROM spend_counters WHERE scope = 'day'",
    )
    .get() as { settled: number; reserved: number };
  return { ...row, ...counters };
}

async function until<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(25);
  }
}

const silent = createLogger("silent");

describe("a database that starts failing writes mid-run", () => {
  it("journals the settlement, keeps serving, writes it once the disk is back", async () => {
    const gateway = await startTestGateway({ SLUICE_DEMO_DELAY_MS: "10" });
    const { db } = gateway.services;
    try {
      const chat = await startChat(gateway.request);
      failWrites(db);
      const events = await chat.rest();
      const final = events.find((event) => event.event === "usage_final")?.json ?? {};
      expect(events.at(-1)?.data).toBe("[DONE]");
      const requestId = String(final.request_id);
      const cost = Number(final.cost_picousd);
      expect(cost).toBeGreaterThan(0);

      // Durable in the journal, reported by /healthz, the row still open with its reservation.
      await until("the journal entry", () =>
        gateway.services.settlements.backlog.journaled === 1 ? true : undefined,
      );
      const journal = `${gateway.services.config.dbPath}.settlements.jsonl`;
      expect(readFileSync(journal, "utf8")).toContain(requestId);
      const health = await fetch(`${gateway.url}/healthz`);
      expect(health.status).toBe(200);
      const report = (await health.json()) as { status: string; ledger: Record<string, unknown> };
      expect(report.status).toBe("degraded");
      expect(report.ledger).toMatchObject({ unwritten_settlements: 1, journaled: 1 });
      expect(String(report.ledger.last_error)).toContain("disk I/O error");

      // New chats get a clear 503, and the reclaim timer's failure does not end the process.
      const refused = await gateway.request("/v1/chat", { body: chatBody("hello") });
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
        "ledger_unavailable",
      );
      expect(reclaimExpired(gateway.services, silent, Date.now() + 86_400_000)).toBe(0);
      expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);

      healWrites(db);
      const healed = await until("the replayed settlement", () => {
        const state = ledgerState(db, requestId);
        return state.status === "ok" ? state : undefined;
      });
      expect(healed).toEqual({ status: "ok", cost_picousd: cost, settled: cost, reserved: 0 });
      expect(existsSync(journal)).toBe(false);
      expect(
        ((await (await fetch(`${gateway.url}/healthz`)).json()) as { status: string }).status,
      ).toBe("ok");
      console.log(
        `disk fault mid-stream: usage_final sent (${cost} picoUSD), settlement journaled, /healthz degraded, ` +
          "new chat 503 ledger_unavailable, reclaim error contained; after recovery the row is ok, " +
          `settled ${healed.settled} = cost, reserved ${healed.reserved}: nothing lost`,
      );
    } finally {
      await gateway.stop();
    }
  });

  it("replays the journal at the next start: the request is settled, not interrupted", async () => {
    const gateway = await startTestGateway({ SLUICE_DEMO_DELAY_MS: "10" });
    const { dir } = gateway;
    const config = loadConfig({
      SLUICE_DATA_DIR: dir,
      SLUICE_PORT: "0",
      SLUICE_LOG_LEVEL: "silent",
    });
    const chat = await startChat(gateway.request);
    failWrites(gateway.services.db);
    const events = await chat.rest();
    const final = events.find((event) => event.event === "usage_final")?.json ?? {};
    // Stopped while the disk is still failing: the settlement is only in the journal.
    await gateway.close();
    expect(existsSync(`${config.dbPath}.settlements.jsonl`)).toBe(true);

    const restarted = await startGateway(config);
    try {
      const state = ledgerState(restarted.services.db, String(final.request_id));
      expect(state).toEqual({
        status: "ok",
        cost_picousd: final.cost_picousd,
        settled: final.cost_picousd,
        reserved: 0,
      });
      expect(existsSync(`${config.dbPath}.settlements.jsonl`)).toBe(false);
      console.log(
        `restart with a journaled settlement: row ${state.status}, settled ${state.settled} picoUSD = usage_final's: nothing lost`,
      );
    } finally {
      await restarted.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("holds settlements in memory when the journal cannot be written either, and says so", async () => {
    const gateway = await startTestGateway({ SLUICE_DEMO_DELAY_MS: "10" });
    const { db } = gateway.services;
    const journal = `${gateway.services.config.dbPath}.settlements.jsonl`;
    try {
      const chat = await startChat(gateway.request);
      failWrites(db);
      // A directory where the journal file should go: appending to it fails.
      mkdirSync(journal);
      const events = await chat.rest();
      const final = events.find((event) => event.event === "usage_final")?.json ?? {};
      await until("the held settlement", () =>
        gateway.services.settlements.backlog.held === 1 ? true : undefined,
      );
      const health = await fetch(`${gateway.url}/healthz`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { status: string }).status).toBe("failing");

      rmSync(journal, { recursive: true });
      healWrites(db);
      const state = await until("the written settlement", () => {
        const current = ledgerState(db, String(final.request_id));
        return current.status === "ok" ? current : undefined;
      });
      expect(state.settled).toBe(final.cost_picousd);
      expect(state.reserved).toBe(0);
      console.log(
        `journal unwritable too: settlement held in memory, /healthz 503 failing; after recovery settled ${state.settled} picoUSD: nothing lost`,
      );
    } finally {
      await gateway.stop();
    }
  });
});
