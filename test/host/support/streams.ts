import { createParser } from "eventsource-parser";
import { expect } from "vitest";
import { analyzeProbe, type ProbeAnalysis } from "../../../blocks/admin/lib/probe-analysis.ts";
import { readProbe } from "../../../blocks/admin/lib/probe-reader.ts";
import { signedHeaders } from "../../../server/http/signature.ts";

// How test/host measures a stream: when each word of a demo chat arrives, against the
// pace at which the gateway sent it.

/**
 * The demo provider's pause between two words (the gateway's SLUICE_DEMO_DELAY_MS): 24
 * words take about 900 ms. Far enough apart that a test process slowed by other suites
 * still reads most words on their own.
 */
export const wordDelayMs = 40;
export const words = Array.from({ length: 24 }, (_, index) => `word${index}`);
export const sentSpreadMs = (words.length - 1) * wordDelayMs;
/** What the demo provider is asked to say: the words, one event each. */
export const echoPrompt = `/echo ${words.join(" ")}`;

export interface TimedChat {
  status: number;
  headers: Headers;
  /** When each content event was read, ms on performance.now(). */
  arrivals: number[];
  text: string;
  events: { event: string | undefined; data: string }[];
}

export async function readTimedChat(response: Response): Promise<TimedChat> {
  const arrivals: number[] = [];
  const events: TimedChat["events"] = [];
  let text = "";
  let now = 0;
  const parser = createParser({
    onEvent: (message) => {
      events.push({ event: message.event, data: message.data });
      if (!message.data.includes('"type":"content"')) return;
      arrivals.push(now);
      text += (JSON.parse(message.data) as { data: string }).data;
    },
  });
  const decoder = new TextDecoder();
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    now = performance.now();
    parser.feed(decoder.decode(value, { stream: true }));
  }
  return { status: response.status, headers: response.headers, arrivals, text, events };
}

/** How many network reads the words came in. */
export function reads(arrivals: number[]): number {
  return new Set(arrivals).size;
}

/** The most words that came in one read, as a share of all. */
export function largestReadShare(arrivals: number[]): number {
  const perRead = new Map<number, number>();
  for (const at of arrivals) perRead.set(at, (perRead.get(at) ?? 0) + 1);
  return Math.max(0, ...perRead.values()) / Math.max(1, arrivals.length);
}

export function spread(arrivals: number[]): number {
  return (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0);
}

/** As sent: most words in reads of their own, over most of the time the gateway took. */
export function expectProgressive(result: TimedChat): void {
  expect(reads(result.arrivals)).toBeGreaterThan(words.length / 2);
  expect(spread(result.arrivals)).toBeGreaterThan(sentSpreadMs * 0.6);
}

/** All at the end: nearly every word in one read, within a sliver of the sending time. */
export function expectBunched(result: TimedChat): void {
  expect(largestReadShare(result.arrivals)).toBeGreaterThanOrEqual(0.9);
  expect(spread(result.arrivals)).toBeLessThan(sentSpreadMs * 0.15);
}

export function describeChat(label: string, result: TimedChat): string {
  return `${label}: ${result.arrivals.length} words in ${reads(result.arrivals)} reads over ${spread(result.arrivals).toFixed(0)} ms (sent over ${sentSpreadMs} ms)`;
}

/** The whole echo, as an SSE answer from `server` (the Server header), in order. */
export function expectWholeAnswer(result: TimedChat, server: RegExp): void {
  expect(result.status).toBe(200);
  expect(result.headers.get("content-type")).toMatch(/^text\/event-stream/);
  expect(result.headers.get("server")).toMatch(server);
  expect(result.text).toBe(words.join(" "));
  expect(result.events[0]?.event).toBe("usage_start");
  expect(result.events.at(-1)?.data).toBe("[DONE]");
}

/** The relay: the Chat block's POST to the plugin's chat route, on `origin`. */
export function relayChat(origin: string, pageId: number): Promise<TimedChat> {
  return fetch(`${origin}/wp-json/sluice/v1/chat`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept-Encoding": "gzip" },
    body: JSON.stringify({
      post_id: pageId,
      block_id: "page-block-1",
      messages: [{ role: "user", content: echoPrompt }],
    }),
  }).then(readTimedChat);
}

/** The admin screen's "Test streaming", as the admin (login:application-password). */
export async function streamProbe(
  origin: string,
  adminAuth: string,
): Promise<ProbeAnalysis & { headers: Headers }> {
  const startedAtMs = performance.now();
  const response = await fetch(`${origin}/wp-json/sluice/v1/stream-probe`, {
    headers: {
      Authorization: `Basic ${Buffer.from(adminAuth).toString("base64")}`,
      "Accept-Encoding": "gzip",
    },
  });
  expect(response.status).toBe(200);
  const analysis = analyzeProbe(await readProbe(response, startedAtMs));
  return { ...analysis, headers: response.headers };
}

/** A request signed for the gateway, sent through the web server's /sluice-gateway/. */
export function throughGatewayPath(
  origin: string,
  gateway: { siteId: string; secret: string },
  gatewayPath: string,
  body: object,
): Promise<Response> {
  const text = JSON.stringify(body);
  return fetch(`${origin}/sluice-gateway${gatewayPath}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...signedHeaders({
        siteId: gateway.siteId,
        secret: gateway.secret,
        method: "POST",
        path: gatewayPath,
        body: text,
      }),
    },
    body: text,
  });
}

/** The demo chat, streamed, as a body for the gateway's POST /v1/chat. */
export const gatewayChatBody = {
  messages: [{ role: "user", content: echoPrompt }],
  model: "demo/sluice-demo",
  stream: true,
};
