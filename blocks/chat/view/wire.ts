import {
  DONE_DATA,
  type BufferedAnswer as GatewayBufferedAnswer,
  type ContentEvent as GatewayContentEvent,
  type UsageFinalEvent as GatewayUsageFinalEvent,
  type UsageStartEvent as GatewayUsageStartEvent,
  type ErrorEvent as StreamErrorEvent,
} from "../../../contract/events";

/**
 * The in-band events of wire format v1 as the browser reads them: the shapes of
 * contract/events.ts, but any field the Chat block does not check may be missing
 * (an older or a newer gateway); extra fields are allowed and ignored.
 */
type AsRead<Event extends { type: string }> = Pick<Event, "type"> & Partial<Omit<Event, "type">>;

export type UsageStartEvent = AsRead<GatewayUsageStartEvent>;

export type ContentEvent = Pick<GatewayContentEvent, "type" | "data">;

export type UsageFinalEvent = AsRead<GatewayUsageFinalEvent>;

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

/** The buffered answer (`"stream": false`): only `content` is checked. */
export type BufferedAnswer = Pick<GatewayBufferedAnswer, "content"> &
  Partial<Pick<GatewayBufferedAnswer, "finish_reason">> & {
    usage?: Partial<GatewayBufferedAnswer["usage"]>;
  };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Turns one SSE `data` field into a wire event. Returns undefined for an event type this
 * client does not know (a newer gateway may add some), so callers can skip it.
 */
export function parseWireData(data: string): WireEvent | undefined {
  if (data === DONE_DATA) return { type: "done" };
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
