/**
 * Reading the stream probe (GET /wp-json/sluice/v1/stream-probe: 10 events sent 150 ms
 * apart by PHP on this host): did they reach the browser spread over time, as sent
 * (progressive), or all together at the end (buffered)? Pure, so it is unit-tested.
 */

/** One probe event as the browser received it. */
export interface ProbeArrival {
  seq: number;
  /** When the browser read it, in ms on a monotonic clock (performance.now). */
  receivedAtMs: number;
  /** When PHP sent it, in ms since the epoch (the server's clock). */
  sentAtMs: number;
}

export interface ProbeReading {
  arrivals: ProbeArrival[];
  /** Whether the closing `data: [DONE]` arrived. */
  complete: boolean;
  /** When the request was sent, on the same clock as receivedAtMs. */
  startedAtMs: number;
  /** Response headers that hint at what sits between PHP and the browser. */
  headers: Record<string, string>;
}

export type ProbeVerdict = "progressive" | "buffered" | "partial" | "incomplete";

export type Intermediary = "nginx" | "apache" | "cloudflare" | "cdn" | "compression";

export interface ProbeAnalysis {
  verdict: ProbeVerdict;
  events: number;
  expectedEvents: number;
  /** How long PHP took to send the events (first to last). */
  sentSpreadMs: number;
  /** How long the browser took to receive them (first to last). */
  receivedSpreadMs: number;
  /** Groups of events that arrived together (a gap over BURST_GAP_MS starts a new one). */
  bursts: number;
  /** From sending the request to the first event. */
  firstEventMs: number | undefined;
  intermediaries: Intermediary[];
}

export const EXPECTED_EVENTS = 10;
/** Events closer together than this arrived "at once". */
export const BURST_GAP_MS = 40;

/** Spread received over spread sent at or above which the host streams. */
const PROGRESSIVE_SHARE = 0.6;
/** At or below this, everything came at the end. */
const BUFFERED_SHARE = 0.15;

export function analyzeProbe(reading: ProbeReading): ProbeAnalysis {
  const arrivals = [...reading.arrivals].sort((a, b) => a.seq - b.seq);
  const first = arrivals[0];
  const last = arrivals[arrivals.length - 1];
  const sentSpreadMs = first && last ? Math.max(0, last.sentAtMs - first.sentAtMs) : 0;
  const received = arrivals.map((arrival) => arrival.receivedAtMs).sort((a, b) => a - b);
  const receivedSpreadMs =
    received.length > 1 ? (received[received.length - 1] ?? 0) - (received[0] ?? 0) : 0;
  let bursts = received.length > 0 ? 1 : 0;
  for (let index = 1; index < received.length; index++) {
    if ((received[index] ?? 0) - (received[index - 1] ?? 0) > BURST_GAP_MS) bursts++;
  }
  const base = {
    events: arrivals.length,
    expectedEvents: EXPECTED_EVENTS,
    sentSpreadMs,
    receivedSpreadMs,
    bursts,
    firstEventMs: received[0] === undefined ? undefined : received[0] - reading.startedAtMs,
    intermediaries: detectIntermediaries(reading.headers),
  };
  if (!reading.complete || arrivals.length < 2 || sentSpreadMs <= 0) {
    return { verdict: "incomplete", ...base };
  }
  const share = receivedSpreadMs / sentSpreadMs;
  const verdict: ProbeVerdict =
    share >= PROGRESSIVE_SHARE && bursts > arrivals.length / 2
      ? "progressive"
      : share <= BUFFERED_SHARE || bursts === 1
        ? "buffered"
        : "partial";
  return { verdict, ...base };
}

/** What the response headers say about the servers in between (names lowercased). */
export function detectIntermediaries(headers: Record<string, string>): Intermediary[] {
  const lower = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value.toLowerCase()]),
  );
  const found = new Set<Intermediary>();
  const server = lower.server ?? "";
  if (server.includes("nginx") || server.includes("openresty")) found.add("nginx");
  if (server.includes("apache")) found.add("apache");
  if (server.includes("cloudflare") || "cf-ray" in lower) found.add("cloudflare");
  if (
    "x-cache" in lower ||
    "x-served-by" in lower ||
    "via" in lower ||
    "x-amz-cf-id" in lower ||
    "x-fastly-request-id" in lower ||
    "akamai-grn" in lower
  ) {
    found.add("cdn");
  }
  const encoding = lower["content-encoding"] ?? "";
  if (encoding && encoding !== "identity") found.add("compression");
  return [...found];
}

/** The headers worth keeping from a probe response. */
export const HINT_HEADERS = [
  "server",
  "via",
  "x-cache",
  "x-served-by",
  "cf-ray",
  "x-amz-cf-id",
  "x-fastly-request-id",
  "akamai-grn",
  "content-encoding",
  "x-accel-buffering",
] as const;
