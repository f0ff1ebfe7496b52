import { createParser } from "eventsource-parser";
import { HINT_HEADERS, type ProbeArrival, type ProbeReading } from "./probe-analysis.ts";

/**
 * Reads a stream-probe response as it arrives and notes when each event came. Events
 * completed by the same network read share its arrival time. Throws when the response
 * has no readable body (the browser cannot stream).
 */
export async function readProbe(
  response: Response,
  startedAtMs: number,
  now: () => number = () => performance.now(),
): Promise<ProbeReading> {
  const headers: Record<string, string> = {};
  for (const name of HINT_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  if (!response.body) throw new Error("This browser cannot read a response as it arrives.");

  const arrivals: ProbeArrival[] = [];
  let complete = false;
  let readAt = 0;
  const parser = createParser({
    onEvent(event) {
      if (event.data === "[DONE]") {
        complete = true;
        return;
      }
      try {
        const payload = JSON.parse(event.data) as { seq?: unknown; sent_at_ms?: unknown };
        if (typeof payload.seq === "number" && typeof payload.sent_at_ms === "number") {
          arrivals.push({ seq: payload.seq, sentAtMs: payload.sent_at_ms, receivedAtMs: readAt });
        }
      } catch {
        // Not a probe event (e.g. a plugin printed something into the stream): not counted.
      }
    },
  });
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    readAt = now();
    parser.feed(decoder.decode(value, { stream: true }));
  }
  parser.feed(decoder.decode());
  return { arrivals, complete, startedAtMs, headers };
}
