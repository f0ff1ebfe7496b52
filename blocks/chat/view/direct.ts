import type { ErrorCode, GatewayErrorCode } from "../../../contract/error-codes";
import { classifyHttpFailure, readErrorBody } from "./errors";
import {
  type ChatHandlers,
  type ChatOutcome,
  type ChatRequest,
  type ChatResult,
  defaultDeps,
  isAbort,
  postToWordPress,
  readAnswer,
  readJson,
  requestAnswer,
  type TransportDeps,
  unsentOutcome,
} from "./transport";

/**
 * Direct mode (docs/wordpress-contract.md, "Transports"): the block asks the plugin's
 * ticket route for a ticket and the chat body sealed for the gateway, then streams the
 * answer from the gateway itself, so no PHP worker is held while the model writes.
 */

/** The ticket route's answer: sent to the gateway exactly as received. */
export interface TicketGrant {
  ticket: string;
  /** The request body, `{"sealed": …}`, as a string. */
  body: string;
  /** The gateway's POST /v1/direct/chat, as this browser reaches it. */
  url: string;
}

export interface DirectChatRequest extends ChatRequest {
  /** The plugin's ticket route (render.php's `ticketUrl`). */
  ticketUrl: string;
}

export interface DirectResult extends ChatResult {
  /**
   * Why this answer was asked of the chat route instead (relay): the site is not in
   * direct mode (any more), the gateway did not answer this browser (GatewayAttempt's
   * "unreachable"), or it refused the page's origin (`origin_mismatch`: the page is not
   * on the site's own origin). The page's later questions go to the chat route directly.
   */
  relayFallback?: "direct_off" | "unreachable" | "other_origin";
}

/** What one attempt at the gateway came to. */
export type GatewayAttempt =
  /**
   * No answer from the gateway: none at all (network, CORS, mixed content, a wrong host),
   * or one from something else (`status`: a server's or proxy's page, without the
   * gateway's error envelope, or neither a stream nor JSON). The gateway ran no chat.
   */
  | { kind: "unreachable"; status?: number }
  /** The ticket could not be used (expired, used, another body): a new one may work. */
  | { kind: "stale_ticket"; status: number; code: string }
  | { kind: "answered"; outcome: ChatOutcome };

/** The gateway's codes that mean "get a new ticket and send again" (docs/wire-format.md). */
const STALE_TICKET_CODES: readonly string[] = [
  "ticket_expired",
  "ticket_reused",
  "ticket_body_mismatch",
] satisfies GatewayErrorCode[];

/** The ticket route's answer when the site is not in direct mode. */
const DIRECT_OFF: ErrorCode = "sluice_direct_off";

/** How many tickets one question may use: the first, and one more after a stale one. */
const MAX_TICKETS = 2;

function parseGrant(value: unknown): TicketGrant | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { ticket, body, url } = value as Record<string, unknown>;
  if (typeof ticket !== "string" || typeof body !== "string" || typeof url !== "string") {
    return undefined;
  }
  return ticket && body && url ? { ticket, body, url } : undefined;
}

/**
 * Sends a ticketed chat to the gateway and reads its answer as the chat route's. The
 * request is made as docs/wire-format.md says: fetch's default `cors` mode (so the page's
 * Origin always goes along), no cookies, the body exactly as the ticket route gave it.
 */
export async function sendToGateway(
  grant: TicketGrant,
  handlers: ChatHandlers,
  signal: AbortSignal,
  deps: TransportDeps = defaultDeps(),
): Promise<GatewayAttempt> {
  let response: Response;
  try {
    response = await deps.fetch(grant.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Sluice-Ticket": grant.ticket },
      body: grant.body,
      credentials: "omit",
      signal,
    });
  } catch (error) {
    if (isAbort(error, signal)) return { kind: "answered", outcome: { status: "stopped" } };
    return { kind: "unreachable" };
  }
  const discard = () => response.body?.cancel().catch(() => {});
  if (!response.ok) {
    const code = gatewayErrorCode(await readJson(response.clone()));
    if (code === undefined) {
      await discard();
      return { kind: "unreachable", status: response.status };
    }
    if (STALE_TICKET_CODES.includes(code)) {
      await discard();
      return { kind: "stale_ticket", status: response.status, code };
    }
  } else if (!/event-stream|json/.test(response.headers.get("Content-Type") ?? "")) {
    await discard();
    return { kind: "unreachable", status: response.status };
  }
  return { kind: "answered", outcome: await readAnswer(response, handlers, signal, deps) };
}

const OTHER_ORIGIN: GatewayErrorCode = "origin_mismatch";

function isOtherOrigin(outcome: ChatOutcome): boolean {
  return outcome.status === "failed" && outcome.failure.code === OTHER_ORIGIN;
}

/** The code of the gateway's error envelope `{"error": {"code", …}}`; undefined for any other body. */
function gatewayErrorCode(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const envelope = (body as { error?: unknown }).error;
  if (typeof envelope !== "object" || envelope === null) return undefined;
  const code = (envelope as { code?: unknown }).code;
  return typeof code === "string" && code !== "" ? code : undefined;
}

/**
 * Asks for an answer in direct mode: a ticket from WordPress, then the answer from the
 * gateway. Never throws: every end is an outcome. A stale ticket is replaced once. When
 * the site is not in direct mode, or the gateway does not answer (no response at all, or
 * one from something else; before any byte of an answer), the question goes to the chat
 * route instead, so that a
 * misconfigured direct URL never breaks the chat. Aborting `signal` stops whichever
 * request is running.
 */
export async function requestDirectAnswer(
  request: DirectChatRequest,
  handlers: ChatHandlers,
  signal: AbortSignal,
  deps: TransportDeps = defaultDeps(),
): Promise<DirectResult> {
  let nonceRejected = false;
  /** The request as it may go now: without a nonce WordPress refused once. */
  const current = (): DirectChatRequest =>
    nonceRejected ? { ...request, nonce: undefined } : request;
  const relay = async (
    reason: NonNullable<DirectResult["relayFallback"]>,
  ): Promise<DirectResult> => {
    const result = await requestAnswer(current(), handlers, signal, deps);
    return {
      ...result,
      nonceRejected: nonceRejected || result.nonceRejected,
      relayFallback: reason,
    };
  };
  const stopped = (): DirectResult => ({ outcome: { status: "stopped" }, nonceRejected });

  let stale: { status: number; code: string } | undefined;
  for (let tickets = 0; tickets < MAX_TICKETS; tickets++) {
    let ticketResponse: Response;
    try {
      const answer = await postToWordPress(
        request.ticketUrl,
        current(),
        "application/json",
        signal,
        deps,
      );
      nonceRejected ||= answer.nonceRejected;
      ticketResponse = answer.response;
    } catch (error) {
      // WordPress out of reach, Stop, or no Turnstile token (each ticket needs a new one).
      return { outcome: unsentOutcome(error, signal), nonceRejected };
    }
    const body = await readJson(ticketResponse);
    if (signal.aborted) return stopped();
    if (!ticketResponse.ok) {
      if (readErrorBody(body).code === DIRECT_OFF) return relay("direct_off");
      const failure = classifyHttpFailure(
        ticketResponse.status,
        body,
        ticketResponse.headers.get("Retry-After"),
      );
      return { outcome: { status: "failed", failure }, nonceRejected };
    }
    const grant = parseGrant(body);
    if (!grant)
      return { outcome: { status: "failed", failure: { kind: "unreadable" } }, nonceRejected };

    const attempt = await sendToGateway(grant, handlers, signal, deps);
    if (attempt.kind === "answered") {
      // The page is not on the origin the site's tickets name (www. against the bare
      // domain, a mirror, a proxy on another host): relay does not depend on it.
      if (isOtherOrigin(attempt.outcome)) return relay("other_origin");
      return { outcome: attempt.outcome, nonceRejected };
    }
    if (attempt.kind === "unreachable") return relay("unreachable");
    stale = attempt;
  }
  const failure = classifyHttpFailure(stale?.status ?? 401, { error: { code: stale?.code } }, null);
  return { outcome: { status: "failed", failure }, nonceRejected };
}
