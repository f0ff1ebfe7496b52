import { describe, expect, test } from "vitest";
import type { TicketGrant } from "../../chat/view/direct";
import type { TransportDeps } from "../../chat/view/transport";
import { judgeDirectProbe, probeDirect } from "../lib/direct-probe";

const encoder = new TextEncoder();
const URL_TESTED = "https://gateway.example/v1/direct/chat";
const grant: TicketGrant = {
  ticket: `v1.p.${"0".repeat(64)}`,
  body: '{"sealed":"s"}',
  url: URL_TESTED,
};
const frame = (payload: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(payload)}\n\n`;
const final = (latency: number) =>
  `${frame({ type: "usage_final", output_tokens: 8, latency_ms: latency, ttfc_ms: 100 }, "usage_final")}data: [DONE]\n\n`;

/** A gateway whose stream chunks arrive at the given clock times. */
function gateway(chunks: [atMs: number, text: string][]): {
  deps: TransportDeps;
  calls: RequestInit[];
} {
  let clock = 0;
  const calls: RequestInit[] = [];
  return {
    calls,
    deps: {
      now: () => clock,
      fetch: async (_url, init = {}) => {
        calls.push(init);
        let index = 0;
        // No read-ahead: the clock moves when the reader takes a chunk.
        const body = new ReadableStream<Uint8Array>(
          {
            pull(controller) {
              const chunk = chunks[index++];
              if (!chunk) {
                controller.close();
                return;
              }
              clock = chunk[0];
              controller.enqueue(encoder.encode(chunk[1]));
            },
          },
          { highWaterMark: 0 },
        );
        return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
      },
    },
  };
}

const words = (from: number, count: number, every: number): [number, string][] =>
  Array.from({ length: count }, (_, i) => [
    from + i * every,
    frame({ type: "content", data: `w${i} ` }),
  ]);

describe("probeDirect", () => {
  test("progressive: the words arrive over time; sent as the Chat block sends it", async () => {
    const { deps, calls } = gateway([...words(120, 8, 25), [400, final(400)]]);
    const result = await probeDirect(grant, deps);
    expect(result).toEqual({
      verdict: "progressive",
      ok: true,
      url: URL_TESTED,
      deltas: 8,
      firstDeltaMs: 120,
      spreadMs: 175,
      detail: "",
    });
    expect(calls[0]).toMatchObject({ credentials: "omit", body: grant.body });
  });

  test("buffered: a slow answer in one piece still works (PHP is freed), and says so", async () => {
    const all = words(0, 8, 0)
      .map(([, text]) => text)
      .join("");
    const { deps } = gateway([[2000, `${all}${final(1900)}`]]);
    expect(await probeDirect(grant, deps)).toMatchObject({
      verdict: "buffered",
      ok: true,
      spreadMs: 0,
    });
  });

  test("an answer that never completes within the time-out fails", async () => {
    const deps: TransportDeps = {
      now: () => 0,
      fetch: (_url, init) =>
        new Promise((_resolve, reject) =>
          init?.signal?.addEventListener("abort", () =>
            reject(new DOMException("aborted", "AbortError")),
          ),
        ),
    };
    expect(await probeDirect(grant, deps, 200)).toMatchObject({
      verdict: "failed",
      ok: false,
      detail: "no answer within 0.2 s",
    });
  });
});

describe("judgeDirectProbe", () => {
  const timing = { startedAtMs: 0, deltaTimes: [] };

  test("unreachable, a stale ticket, a refusal, a cut answer", () => {
    expect(judgeDirectProbe(URL_TESTED, { kind: "unreachable" }, timing)).toMatchObject({
      verdict: "unreachable",
      ok: false,
      detail: "unreachable from the browser",
    });
    expect(
      judgeDirectProbe(
        URL_TESTED,
        { kind: "stale_ticket", status: 401, code: "ticket_expired" },
        timing,
      ),
    ).toMatchObject({
      verdict: "refused",
      code: "ticket_expired",
      detail: "HTTP 401 ticket_expired",
    });
    expect(
      judgeDirectProbe(
        URL_TESTED,
        {
          kind: "answered",
          outcome: {
            status: "failed",
            failure: { kind: "rejected", status: 401, code: "origin_mismatch" },
          },
        },
        timing,
      ),
    ).toMatchObject({
      verdict: "refused",
      ok: false,
      status: 401,
      detail: "HTTP 401 origin_mismatch",
    });
    expect(
      judgeDirectProbe(
        URL_TESTED,
        {
          kind: "answered",
          outcome: { status: "failed", failure: { kind: "interrupted", code: "upstream_stalled" } },
        },
        timing,
      ),
    ).toMatchObject({ verdict: "failed", ok: false, detail: "interrupted: upstream_stalled" });
  });
});
