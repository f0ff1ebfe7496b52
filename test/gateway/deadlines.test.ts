import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import { readEvents, startTestGateway, type TestGateway } from "../support/gateway.ts";
import { type PacedProvider, startPacedProvider } from "../support/paced-provider.ts";

interface Row {
  status: string;
  error_code: string | null;
  output_tokens: number;
  cost_picousd: number;
  finished_at: number | null;
}

const ask = {
  messages: [{ role: "user", content: "tell me a story" }],
  model: "openai/gpt-4o-mini",
};

function kinds(events: Awaited<ReturnType<typeof readEvents>>): string[] {
  return events.map((event) => event.event ?? String(event.json?.type ?? event.data));
}

async function settled(gateway: TestGateway, id: string): Promise<Row> {
  const query = gateway.services.db.prepare("SELECT * FROM requests WHERE id = ?");
  for (let i = 0; i < 100; i += 1) {
    const row = query.get(id) as Row | undefined;
    if (row && row.status !== "open") return row;
    await delay(20);
  }
  throw new Error(`request ${id} never settled`);
}

function reservedNow(gateway: TestGateway): number {
  return gateway.services.db
    .prepare("SELECT COALESCE(SUM(reserved_picousd), 0) FROM spend_counters WHERE scope = 'day'")
    .pluck()
    .get() as number;
}

describe("a provider that stalls after its first bytes", () => {
  let provider: PacedProvider;
  let gateway: TestGateway;

  beforeAll(async () => {
    provider = await startPacedProvider(5, 10);
    gateway = await startTestGateway({
      SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
      SLUICE_OPENAI_BASE_URL: provider.baseUrl,
      SLUICE_STREAM_IDLE_TIMEOUT_MS: "300",
      // Keep-alives more often than the idle limit: they must not count as content.
      SLUICE_KEEPALIVE_MS: "50",
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await provider.close();
  });

  it("ends the stream with upstream_stalled, bills what came, closes the provider's socket", async () => {
    const started = performance.now();
    const response = await gateway.request("/v1/chat", { body: ask });
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    const elapsed = performance.now() - started;
    expect(kinds(events).slice(-3)).toEqual(["error", "usage_final", "[DONE]"]);
    expect(events.filter((event) => event.json?.type === "content")).toHaveLength(5);
    expect(events.at(-3)?.json?.code).toBe("upstream_stalled");
    const final = events.at(-2)?.json ?? {};
    expect(final.output_tokens).toBeGreaterThan(0);
    expect(final.cost_picousd).toBeGreaterThan(0);
    expect(final.finish_reason).toBe("error");
    const row = await settled(gateway, String(final.request_id));
    expect(row).toMatchObject({ status: "error", error_code: "upstream_stalled" });
    expect(row.cost_picousd).toBe(final.cost_picousd);
    // The provider's socket is closed by the gateway, not left open.
    expect(await provider.closed[0]).toBe(true);
    expect(reservedNow(gateway)).toBe(0);
    console.log(
      `stall: provider silent after 5 chunks; stream ended after ${Math.round(elapsed)} ms with ` +
        `upstream_stalled, billed ${final.output_tokens} output tokens (${final.cost_picousd} picoUSD), ` +
        "ledger row settled, reservation released, provider socket closed",
    );
  });

  it("answers a buffered request that stalls with upstream_stalled, and bills it", async () => {
    const response = await gateway.request("/v1/chat", { body: { ...ask, stream: false } });
    // A buffered answer carries the failure's own status: 504 for a stall.
    expect(response.status).toBe(504);
    const body = (await response.json()) as { error: { code: string; request_id: string } };
    expect(body.error.code).toBe("upstream_stalled");
    const row = await settled(gateway, body.error.request_id);
    expect(row).toMatchObject({ status: "error", error_code: "upstream_stalled" });
    expect(row.output_tokens).toBeGreaterThan(0);
  });
});

describe("a stream that runs past SLUICE_STREAM_MAX_MS", () => {
  let provider: PacedProvider;
  let gateway: TestGateway;

  beforeAll(async () => {
    // Never silent for long, never finished.
    provider = await startPacedProvider(Number.POSITIVE_INFINITY, 20);
    gateway = await startTestGateway({
      SLUICE_OPENAI_API_KEY: "sk-test-0123456789",
      SLUICE_OPENAI_BASE_URL: provider.baseUrl,
      SLUICE_STREAM_IDLE_TIMEOUT_MS: "5000",
      SLUICE_STREAM_MAX_MS: "600",
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await provider.close();
  });

  it("ends it with stream_timeout, bills what came, closes the provider's socket", async () => {
    const started = performance.now();
    const events = await readEvents(await gateway.request("/v1/chat", { body: ask }));
    const elapsed = performance.now() - started;
    expect(kinds(events).slice(-3)).toEqual(["error", "usage_final", "[DONE]"]);
    expect(events.at(-3)?.json?.code).toBe("stream_timeout");
    expect(elapsed).toBeGreaterThanOrEqual(550);
    const final = events.at(-2)?.json ?? {};
    expect(final.output_tokens).toBeGreaterThan(0);
    const row = await settled(gateway, String(final.request_id));
    expect(row).toMatchObject({ status: "error", error_code: "stream_timeout" });
    expect(await provider.closed[0]).toBe(true);
    expect(reservedNow(gateway)).toBe(0);
    console.log(
      `max: a provider streaming every 20 ms for ever; ended after ${Math.round(elapsed)} ms ` +
        `(limit 600) with stream_timeout, billed ${final.output_tokens} output tokens`,
    );
  });
});

describe("the reservation outlives its stream", () => {
  it("defaults the reservation time-out to the stream limit plus a margin", () => {
    const config = loadConfig({ SLUICE_STREAM_MAX_MS: "1200000" });
    expect(config.reservationTtlMs).toBeGreaterThan(config.streamMaxMs);
    expect(loadConfig({}).reservationTtlMs).toBeGreaterThan(loadConfig({}).streamMaxMs);
  });

  it("refuses a reservation time-out no longer than the stream limit", () => {
    expect(() =>
      loadConfig({ SLUICE_STREAM_MAX_MS: "600000", SLUICE_RESERVATION_TTL_MS: "600000" }),
    ).toThrow(/SLUICE_RESERVATION_TTL_MS .* must be longer than SLUICE_STREAM_MAX_MS/);
  });
});
