/**
 * The in-band events of wire format v1 as the browser sees them (docs/wire-format.md).
 * Only the fields the Chat block uses are typed; extra fields are allowed and ignored.
 */

export interface UsageStartEvent {
  type: "usage_start";
  request_id?: string;
  provider?: string;
  model?: string;
}

export interface ContentEvent {
  type: "content";
  data: string;
}

export interface StreamErrorEvent {
  type: "error";
  code: string;
  message: string;
}

export interface UsageFinalEvent {
  type: "usage_final";
  request_id?: string;
  output_tokens?: number;
  cost_usd?: number;
  finish_reason?: string | null;
  /** Gateway time from receiving the request to settling it. */
  latency_ms?: number;
  /** Gateway time from receiving the request to the first content. */
  ttfc_ms?: number | null;
}

/** The `data: [DONE]` frame that closes a stream. */
export interface DoneEvent {
  type: "done";
}

/** A frame whose data is not a wire event (not JSON, or no known shape). */
export interface MalformedEvent {
  type: "malformed";
  raw: string;
}

export type WireEvent =
  | UsageStartEvent
  | ContentEvent
  | StreamErrorEvent
  | UsageFinalEvent
  | DoneEvent
  | MalformedEvent;

/** The buffered answer (`"stream": false`). */
export interface BufferedAnswer {
  content: string;
  finish_reason?: string | null;
  usage?: Omit<UsageFinalEvent, "type">;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Turns one SSE `data` field into a wire event. Returns undefined for an event type this
 * client does not know (a newer gateway may add some), so callers can skip it.
 */
export function parseWireData(data: string): WireEvent | undefined {
  if (data === "[DONE]") return { type: "done" };
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    return { type: "malformed", raw: data };
  }
  if (!isRecord(payload) || typeof payload.type !== "string") {
    return { type: "malformed", raw: data };
  }
  switch (payload.type) {
    case "content":
      return typeof payload.data === "string"
        ? { type: "content", data: payload.data }
        : { type: "malformed", raw: data };
    case "error":
      return {
        type: "error",
        code: typeof payload.code === "string" ? payload.code : "stream_error",
        message: typeof payload.message === "string" ? payload.message : "",
      };
    case "usage_start":
      return payload as unknown as UsageStartEvent;
    case "usage_final":
      return payload as unknown as UsageFinalEvent;
    default:
      return undefined;
  }
}

/** Reads the buffered answer; undefined when the body is not one. */
export function parseBufferedAnswer(payload: unknown): BufferedAnswer | undefined {
  if (!isRecord(payload) || typeof payload.content !== "string") return undefined;
  return payload as unknown as BufferedAnswer;
}
