import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import { openDatabase } from "../../server/ledger/db.ts";
import { MIGRATIONS } from "../../server/ledger/migrations.ts";
import { type OpenedRequest, RequestLedger } from "../../server/ledger/requests.ts";
import { startGateway } from "../../server/serve.ts";

const usage = {
  inputTokens: 10,
  outputTokens: 4,
  cacheReadTokens: 2,
  cacheWriteTokens: 0,
  reasoningTokens: 1,
};

/** A request as the pipeline opens it; `overrides` changes what a test is about. */
function opened(id: string, overrides: Partial<OpenedRequest> = {}): OpenedRequest {
  return {
    id,
    siteId: "s",
    visitor: undefined,
    provider: "openai",
    model: "gpt-4o-mini",
    requestedModel: "auto",
    streamed: true,
    startedAt: 1000,
    inputTokens: 10,
    maxTokens: 100,
    reservedPicoUsd: 500,
    degradedFrom: null,
    ...overrides,
  };
}

describe("the SQLite ledger", () => {
  it("uses WAL and applies each migration once", () => {
    const path = join(mkdtempSync(join(tmpdir(), "sluice-ledger-")), "sluice.db");
    const first = openDatabase(path);
    expect(first.pragma("journal_mode", { simple: true })).toBe("wal");
    first.close();
    const again = openDatabase(path);
    const versions = again.prepare("SELECT version FROM schema_migrations").pluck().all();
    expect(versions).toEqual(MIGRATIONS.map((_, index) => index + 1));
    again.close();
  });

  it("opens a row at the start and settles it with usage and cost", () => {
    const db = openDatabase(":memory:");
    const ledger = new RequestLedger(db);
    ledger.open(opened("req_1", { visitor: "v_12345678" }));
    expect(db.prepare("SELECT status FROM requests WHERE id = 'req_1'").pluck().get()).toBe("open");
    ledger.settle("req_1", {
      status: "aborted",
      provider: "openai",
      model: "gpt-4o-mini",
      usage,
      usageSource: "estimated",
      costPicoUsd: 123,
      priced: true,
      providerCostPicoUsd: undefined,
      finishReason: "aborted",
      errorCode: null,
      latencyMs: 50,
      ttfcMs: 10,
      finishedAt: 2000,
    });
    expect(db.prepare("SELECT * FROM requests WHERE id = 'req_1'").get()).toMatchObject({
      status: "aborted",
      visitor: "v_12345678",
      input_tokens: 10,
      output_tokens: 4,
      cache_read_tokens: 2,
      reasoning_tokens: 1,
      cost_picousd: 123,
      usage_source: "estimated",
      finish_reason: "aborted",
      provider_cost_picousd: null,
    });
  });

  it("writes the checkpoints of all streams in one batch, and never over a settled row", () => {
    const db = openDatabase(":memory:");
    const ledger = new RequestLedger(db);
    ledger.open(opened("req_a"));
    ledger.open(opened("req_b"));
    const outputOf = (id: string) =>
      db.prepare("SELECT output_tokens FROM requests WHERE id = ?").pluck().get(id);
    const before = outputOf("req_a");
    ledger.checkpoint("req_a", 7);
    ledger.checkpoint("req_b", 9);
    ledger.checkpoint("req_a", 11);
    // Held until the batch is written.
    expect(outputOf("req_a")).toBe(before);
    ledger.settle("req_b", {
      status: "ok",
      provider: "openai",
      model: "gpt-4o-mini",
      usage,
      usageSource: "reported",
      costPicoUsd: 1,
      priced: true,
      providerCostPicoUsd: undefined,
      finishReason: "stop",
      errorCode: null,
      latencyMs: 5,
      ttfcMs: 1,
      finishedAt: 2000,
    });
    ledger.flushCheckpoints();
    expect(outputOf("req_a")).toBe(11);
    expect(outputOf("req_b")).toBe(usage.outputTokens);
    db.close();
  });

  it("bills rows a crash left open by their checkpoint when the gateway starts again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-crash-"));
    const db = openDatabase(join(dir, "sluice.db"));
    new RequestLedger(db).open(
      opened("req_crashed", {
        provider: "demo",
        model: "sluice-demo",
        startedAt: Date.now() - 5000,
        inputTokens: 1000,
        maxTokens: 500,
        reservedPicoUsd: 0,
      }),
    );
    db.prepare("UPDATE requests SET output_tokens = 200 WHERE id = 'req_crashed'").run();
    db.close();
    const gateway = await startGateway(
      loadConfig({ SLUICE_PORT: "0", SLUICE_DATA_DIR: dir, SLUICE_LOG_LEVEL: "silent" }),
    );
    try {
      const row = gateway.services.db
        .prepare("SELECT * FROM requests WHERE id = 'req_crashed'")
        .get();
      // 1000 input × $0.15/M + 200 output × $0.60/M (the demo is priced like gpt-4o-mini).
      expect(row).toMatchObject({
        status: "interrupted",
        usage_source: "estimated",
        input_tokens: 1000,
        output_tokens: 200,
        cost_picousd: 270_000_000,
      });
    } finally {
      await gateway.close();
    }
  });
});
