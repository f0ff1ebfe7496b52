import { type GatewayAttempt, sendToGateway, type TicketGrant } from "../../chat/view/direct";
import { defaultDeps, type TransportDeps } from "../../chat/view/transport";

/**
 * "Test streaming" in direct mode: the test chat of POST sluice/v1/direct-probe, sent to
 * the gateway and read in this browser exactly as the Chat block does it
 * (sendToGateway), timed word by word.
 */

export type DirectProbeVerdict =
  /** The answer streamed in, word by word. */
  | "progressive"
  /** It came, but in one piece: something between the gateway and the browser buffers. */
  | "buffered"
  /** No answer at all: network, CORS, mixed content or a wrong URL. */
  | "unreachable"
  /** The gateway answered with a refusal (HTTP status and code). */
  | "refused"
  /** The answer started but did not complete, or took too long. */
  | "failed";

export interface DirectProbeResult {
  verdict: DirectProbeVerdict;
  /** Whether direct mode works from this browser (a buffered answer works too). */
  ok: boolean;
  /** The direct chat URL tested. */
  url: string;
  /** Text deltas received. */
  deltas: number;
  /** From sending the chat to its first word, in ms. */
  firstDeltaMs?: number;
  /** From the first word to the last, in ms. */
  spreadMs: number;
  status?: number;
  code?: string;
  /** What went wrong, in a few words for the record ("" when it worked). */
  detail: string;
}

/** How long the test chat may take. */
export const DIRECT_PROBE_TIMEOUT_MS = 30_000;

interface Timing {
  startedAtMs: number;
  deltaTimes: number[];
  /** The time-out, once it fired. */
  timedOutAfterMs?: number;
}

/** The verdict on one attempt (pure, so it is unit-tested). */
export function judgeDirectProbe(
  url: string,
  attempt: GatewayAttempt,
  timing: Timing,
): DirectProbeResult {
  const first = timing.deltaTimes[0];
  const last = timing.deltaTimes.at(-1);
  const base = {
    url,
    deltas: timing.deltaTimes.length,
    ...(first === undefined ? {} : { firstDeltaMs: first - timing.startedAtMs }),
    spreadMs: first === undefined || last === undefined ? 0 : last - first,
  };
  if (attempt.kind === "unreachable") {
    const detail =
      attempt.status === undefined
        ? "unreachable from the browser"
        : `HTTP ${attempt.status} from something other than the gateway`;
    return {
      verdict: "unreachable",
      ok: false,
      ...base,
      ...(attempt.status === undefined ? {} : { status: attempt.status }),
      detail,
    };
  }
  if (attempt.kind === "stale_ticket") {
    return {
      verdict: "refused",
      ok: false,
      ...base,
      status: attempt.status,
      code: attempt.code,
      detail: `HTTP ${attempt.status} ${attempt.code}`,
    };
  }
  const { outcome } = attempt;
  if (outcome.status === "complete") {
    return {
      verdict: outcome.hostBuffers ? "buffered" : "progressive",
      ok: true,
      ...base,
      detail: "",
    };
  }
  if (outcome.status === "stopped") {
    const detail =
      timing.timedOutAfterMs === undefined
        ? "stopped"
        : `no answer within ${Math.round(timing.timedOutAfterMs / 100) / 10} s`;
    return { verdict: "failed", ok: false, ...base, detail };
  }
  const { failure } = outcome;
  if (failure.status !== undefined) {
    const code = failure.code ?? "";
    return {
      verdict: "refused",
      ok: false,
      ...base,
      status: failure.status,
      ...(code ? { code } : {}),
      detail: `HTTP ${failure.status}${code ? ` ${code}` : ""}`,
    };
  }
  return {
    verdict: "failed",
    ok: false,
    ...base,
    ...(failure.code ? { code: failure.code } : {}),
    detail: failure.code ? `${failure.kind}: ${failure.code}` : failure.kind,
  };
}

/** Sends the probe's ticketed chat to the gateway and judges what came back. */
export async function probeDirect(
  grant: TicketGrant,
  deps: TransportDeps = defaultDeps(),
  timeoutMs = DIRECT_PROBE_TIMEOUT_MS,
): Promise<DirectProbeResult> {
  const controller = new AbortController();
  const timing: Timing = { startedAtMs: deps.now(), deltaTimes: [] };
  const timer = setTimeout(() => {
    timing.timedOutAfterMs = timeoutMs;
    controller.abort();
  }, timeoutMs);
  try {
    const attempt = await sendToGateway(
      grant,
      { onDelta: () => timing.deltaTimes.push(deps.now()) },
      controller.signal,
      deps,
    );
    return judgeDirectProbe(grant.url, attempt, timing);
  } finally {
    clearTimeout(timer);
  }
}
