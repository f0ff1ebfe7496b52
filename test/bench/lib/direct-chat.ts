import type { Agent } from "node:http";
import type { PreparedRequest } from "../targets/types.ts";
import { type Endpoint, type StreamOutcome, streamFrom } from "./client.ts";
import { timedRequest } from "./request.ts";
import type { StreamSpec } from "./spec.ts";

/** A WordPress site in direct mode, as its Chat block sees it. */
export interface DirectSite extends Endpoint {
  /** The origin of the site's pages: the Origin its visitors' browsers send. */
  origin: string;
  /** The ticket route's request for one chat (a new visitor each time). */
  ticketRequest(spec: StreamSpec): PreparedRequest;
}

/** A direct-mode chat: the ticket call, then the stream from the gateway. */
export interface DirectChatOutcome extends StreamOutcome {
  /** Request start to the end of the ticket route's answer, ms. */
  ticketMs: number | undefined;
  /** When the ticket's answer had arrived (performance.now()). */
  ticketAt: number | undefined;
  /** From just before the gateway request to its first content chunk, ms. */
  streamTtfcMs: number | undefined;
}

interface TicketGrant {
  ticket: string;
  body: string;
  url: string;
}

const TICKET_TIMEOUT_MS = 120_000;

/**
 * One chat the way the block runs it in direct mode (blocks/chat/view/direct.ts):
 * POST the ticket route, then POST the grant's `body` to its `url` with the ticket
 * as X-Sluice-Ticket and the page's Origin, and read the stream. TTFC counts from
 * the ticket request's start (what the visitor waits); a ticket that is not a 200
 * grant fails the chat, named "ticket: …".
 */
export async function runDirectChat(
  site: DirectSite,
  spec: StreamSpec,
  agent: Agent,
): Promise<DirectChatOutcome> {
  const startedAt = performance.now();
  const answer = await timedRequest({
    host: site.host,
    port: site.port,
    agent,
    timeoutMs: TICKET_TIMEOUT_MS,
    ...site.ticketRequest(spec),
  });
  const ticketAt = performance.now();
  const failed = (failure: string, ticketMs?: number): DirectChatOutcome => ({
    failure,
    ttfcMs: undefined,
    arrivals: [],
    lags: [],
    inboundMs: undefined,
    ticketMs,
    ticketAt,
    streamTtfcMs: undefined,
  });
  if (answer.failure) return failed(`ticket: ${answer.failure}`);
  const grant = parseGrant(answer.body);
  if (!grant) return failed(`ticket: not a grant: ${answer.body.slice(0, 120)}`, answer.totalMs);
  const url = new URL(grant.url);
  const streamStart = performance.now();
  const outcome = await streamFrom(
    { host: url.hostname, port: Number(url.port) || 80 },
    {
      path: url.pathname,
      headers: {
        "Content-Type": "application/json",
        "X-Sluice-Ticket": grant.ticket,
        Origin: site.origin,
      },
      body: grant.body,
    },
    "sluice",
    spec,
    agent,
    startedAt,
  );
  return {
    ...outcome,
    ticketMs: answer.totalMs,
    ticketAt,
    streamTtfcMs:
      outcome.ttfcMs === undefined ? undefined : outcome.ttfcMs - (streamStart - startedAt),
  };
}

function parseGrant(text: string): TicketGrant | undefined {
  try {
    const value = JSON.parse(text) as Partial<Record<keyof TicketGrant, unknown>>;
    const { ticket, body, url } = value;
    return typeof ticket === "string" && typeof body === "string" && typeof url === "string"
      ? { ticket, body, url }
      : undefined;
  } catch {
    return undefined;
  }
}
