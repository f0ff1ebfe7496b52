import { describe, expect, test } from "vitest";
import {
  analyzeProbe,
  detectIntermediaries,
  type ProbeArrival,
  type ProbeReading,
} from "../lib/probe-analysis";
import { readProbe } from "../lib/probe-reader";

const SENT_AT = 1_700_000_000_000;

/** Ten probe events sent 150 ms apart, received at the given offsets (ms after the request). */
function reading(
  receivedAt: (seq: number) => number,
  extra: Partial<ProbeReading> = {},
): ProbeReading {
  const arrivals: ProbeArrival[] = Array.from({ length: 10 }, (_, index) => ({
    seq: index + 1,
    sentAtMs: SENT_AT + index * 150,
    receivedAtMs: receivedAt(index + 1),
  }));
  return { arrivals, complete: true, startedAtMs: 0, headers: {}, ...extra };
}

describe("analyzeProbe", () => {
  test("progressive: events arrive as they were sent", () => {
    const analysis = analyzeProbe(reading((seq) => 60 + (seq - 1) * 150 + (seq % 3)));
    expect(analysis).toMatchObject({
      verdict: "progressive",
      events: 10,
      bursts: 10,
      sentSpreadMs: 1350,
      firstEventMs: 61,
    });
  });

  test("buffered: everything in one read at the end", () => {
    const analysis = analyzeProbe(reading(() => 1420));
    expect(analysis).toMatchObject({
      verdict: "buffered",
      bursts: 1,
      receivedSpreadMs: 0,
      firstEventMs: 1420,
    });
  });

  test("buffered: a few reads within a few ms still count as one piece", () => {
    expect(analyzeProbe(reading((seq) => 1400 + (seq > 5 ? 3 : 0))).verdict).toBe("buffered");
  });

  test("partial: a proxy that flushes every half second", () => {
    const analysis = analyzeProbe(reading((seq) => (seq <= 4 ? 500 : seq <= 7 ? 1000 : 1450)));
    expect(analysis).toMatchObject({ verdict: "partial", bursts: 3 });
  });

  test("incomplete: the stream ended before [DONE] or with too few events", () => {
    expect(analyzeProbe(reading((seq) => seq * 150, { complete: false })).verdict).toBe(
      "incomplete",
    );
    expect(
      analyzeProbe({ arrivals: [], complete: true, startedAtMs: 0, headers: {} }),
    ).toMatchObject({
      verdict: "incomplete",
      events: 0,
      bursts: 0,
      firstEventMs: undefined,
    });
  });

  test("arrival order does not matter", () => {
    const shuffled = reading((seq) => seq * 150);
    shuffled.arrivals.reverse();
    expect(analyzeProbe(shuffled).verdict).toBe("progressive");
  });
});

describe("detectIntermediaries", () => {
  test("reads the server, CDN and compression hints", () => {
    expect(detectIntermediaries({ Server: "nginx/1.24.0" })).toEqual(["nginx"]);
    expect(detectIntermediaries({ server: "Apache/2.4", "content-encoding": "gzip" })).toEqual([
      "apache",
      "compression",
    ]);
    expect(detectIntermediaries({ server: "cloudflare", "cf-ray": "8a-AMS" })).toEqual([
      "cloudflare",
    ]);
    expect(detectIntermediaries({ via: "1.1 varnish", "x-cache": "MISS" })).toEqual(["cdn"]);
    expect(detectIntermediaries({ "content-encoding": "identity" })).toEqual([]);
  });
});

describe("readProbe", () => {
  const encoder = new TextEncoder();
  const event = (seq: number) =>
    `data: {"seq":${seq},"sent_at_ms":${SENT_AT + (seq - 1) * 150}}\n\n`;

  function responseFrom(chunks: string[], clock: { now: number }, step: number): Response {
    let index = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          const chunk = chunks[index++];
          if (chunk === undefined) {
            controller.close();
            return;
          }
          clock.now += step;
          controller.enqueue(encoder.encode(chunk));
        },
      }),
      { headers: { "Content-Type": "text/event-stream", Server: "nginx", "X-Other": "no" } },
    );
  }

  test("notes when each event arrived, and keeps hint headers only", async () => {
    const clock = { now: 0 };
    const chunks = [
      ...Array.from({ length: 10 }, (_, index) => event(index + 1)),
      "data: [DONE]\n\n",
    ];
    const result = await readProbe(responseFrom(chunks, clock, 150), 0, () => clock.now);
    expect(result.complete).toBe(true);
    expect(result.headers).toEqual({ server: "nginx" });
    expect(result.arrivals.map((arrival) => arrival.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(analyzeProbe(result).verdict).toBe("progressive");
  });

  test("events of one read share its time; a split event counts when it completes", async () => {
    const clock = { now: 0 };
    const all = `${Array.from({ length: 10 }, (_, index) => event(index + 1)).join("")}data: [DONE]\n\n`;
    const result = await readProbe(
      responseFrom([all.slice(0, 30), all.slice(30)], clock, 700),
      0,
      () => clock.now,
    );
    expect(result.arrivals[0]?.receivedAtMs).toBe(1400);
    expect(new Set(result.arrivals.map((arrival) => arrival.receivedAtMs))).toEqual(
      new Set([1400]),
    );
    expect(analyzeProbe(result).verdict).toBe("buffered");
  });

  test("ignores lines that are not probe events", async () => {
    const clock = { now: 0 };
    const result = await readProbe(
      responseFrom([": hello\n\ndata: oops\n\n", event(1), "data: [DONE]\n\n"], clock, 1),
      0,
      () => clock.now,
    );
    expect(result.arrivals).toHaveLength(1);
  });
});
