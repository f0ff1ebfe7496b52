import type { NextFunction, Request, Response } from "express";
import type { NonceStore } from "../ledger/nonces.ts";
import type { SiteStore } from "../ledger/sites.ts";
import type { Logger } from "../logger.ts";
import type { SignatureRejection } from "./auth.ts";
import { context } from "./context.ts";
import { sendError } from "./errors.ts";
import { discardBody } from "./raw-body.ts";
import {
  macsMatch,
  openTicketBody,
  type ParsedTicket,
  parseTicket,
  TICKET_CLOCK_SKEW_SECONDS,
  TICKET_HEADER,
  ticketMac,
} from "./ticket.ts";

export interface TicketCheckOptions {
  sites: SiteStore;
  nonces: NonceStore;
  /** Gets the reason of each refusal, which the visitor is not told. */
  logger: Logger;
  /** Told of each 401 (for the audit log): its code, and the site when it is a registered one. */
  onRejected?: (rejection: SignatureRejection) => void;
}

/**
 * A ticket's nonces are kept apart from the signature's (no colon can be in
 * either), so that the two never refuse each other's.
 */
const NONCE_PREFIX = "ticket:";

/**
 * Verifies the chat ticket of direct mode (ticket.ts; docs/wire-format.md,
 * "Direct chat") in place of the site signature, in three steps:
 * - `visitorFacing` first: the browser reads this route's answers itself, so
 *   each refusal is a fixed sentence for its code, and its reason is logged;
 * - `headers`, before the body is read: a ticket is there, well formed, for
 *   a known site, made with its secret, not expired, and the request's Origin
 *   is the ticket's. A request that fails here is refused without its body
 *   being buffered;
 * - `body`, once the raw body is a Buffer on req.body: the sealed chat body
 *   opens with this ticket, then its nonce is claimed (once only). The opened
 *   body takes the place of req.body, for the chat route as a signed
 *   request's.
 * Refusals are 401: ticket_missing, ticket_invalid, unknown_site,
 * ticket_expired, origin_mismatch, ticket_body_mismatch, ticket_reused.
 */
export function ticketChecks(options: TicketCheckOptions) {
  const pending = new WeakMap<Request, { secret: string; ticket: ParsedTicket }>();

  const visitorFacing = (_req: Request, res: Response, next: NextFunction): void => {
    const request = context(res);
    request.visitorFacing = ({ status, code, message }) =>
      options.logger.info(
        { requestId: request.requestId, siteId: request.siteId, status, code, detail: message },
        "direct chat refused",
      );
    next();
  };

  const headers = (req: Request, res: Response, next: NextFunction): void => {
    let knownSite: string | undefined;
    const refuse = (code: string, reason: string) => {
      discardBody(req);
      sendError(res, 401, code, reason, context(res).requestId);
      options.onRejected?.({ code, siteId: knownSite });
    };
    const header = req.headers[TICKET_HEADER];
    if (typeof header !== "string" || header === "") {
      refuse("ticket_missing", "no X-Sluice-Ticket header");
      return;
    }
    const ticket = parseTicket(header);
    if ("problem" in ticket) {
      refuse("ticket_invalid", `X-Sluice-Ticket: ${ticket.problem}`);
      return;
    }
    const { payload } = ticket;
    const secrets = options.sites.secretsFor(payload.site);
    if (secrets === undefined) {
      refuse("unknown_site", `site "${payload.site}" is not registered on this gateway`);
      return;
    }
    knownSite = payload.site;
    // The site's secret, or the one it replaced while a rotation's grace lasts.
    const secret = secrets.find((candidate) =>
      macsMatch(ticketMac(candidate, ticket.encodedPayload), ticket.mac),
    );
    if (secret === undefined) {
      refuse("ticket_invalid", "the ticket's MAC does not match: not made with this site's secret");
      return;
    }
    const nowSeconds = Date.now() / 1000;
    if (payload.iat > nowSeconds + TICKET_CLOCK_SKEW_SECONDS) {
      refuse(
        "ticket_invalid",
        `iat is ${Math.round(payload.iat - nowSeconds)} s ahead of the gateway's clock (at most ${TICKET_CLOCK_SKEW_SECONDS} s)`,
      );
      return;
    }
    if (nowSeconds > payload.exp) {
      refuse("ticket_expired", `the ticket expired ${Math.round(nowSeconds - payload.exp)} s ago`);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== payload.origin) {
      refuse(
        "origin_mismatch",
        origin === undefined
          ? "no Origin header"
          : `Origin ${origin} is not the ticket's (${payload.origin})`,
      );
      return;
    }
    context(res).siteId = payload.site;
    pending.set(req, { secret, ticket });
    next();
  };

  const body = (req: Request, res: Response, next: NextFunction): void => {
    const checked = pending.get(req);
    pending.delete(req);
    if (!checked) throw new Error("the ticket was not checked before the body");
    const { secret, ticket } = checked;
    const refuse = (code: string, reason: string) => {
      sendError(res, 401, code, reason, context(res).requestId);
      options.onRejected?.({ code, siteId: ticket.payload.site });
    };
    // Again on the body: a ticket whose headers came in time must not be spent after it expired
    // (its nonce is kept only until then).
    const lateBy = Date.now() / 1000 - ticket.payload.exp;
    if (lateBy > 0) {
      refuse("ticket_expired", `the ticket expired ${Math.round(lateBy)} s before its body was in`);
      return;
    }
    const sealed = sealedField(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    const opened =
      sealed === undefined ? undefined : openTicketBody(secret, ticket.encodedPayload, sealed);
    if (opened === undefined) {
      refuse(
        "ticket_body_mismatch",
        sealed === undefined
          ? 'the body is not {"sealed": "<base64url>"}'
          : "the sealed body does not open with this ticket: changed, or another ticket's",
      );
      return;
    }
    const { site, nonce, exp } = ticket.payload;
    const expiresAt = Math.max(exp * 1000 + 1000, Date.now() + 1000);
    if (!options.nonces.claim(site, `${NONCE_PREFIX}${nonce}`, expiresAt)) {
      refuse("ticket_reused", "this ticket was already used: a replayed request");
      return;
    }
    req.body = opened;
    next();
  };

  return { visitorFacing, headers, body };
}

/** S of a body {"sealed": S}, or undefined for any other body. */
function sealedField(raw: Buffer): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString("utf8"));
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const fields = parsed as Record<string, unknown>;
  const keys = Object.keys(fields);
  return keys.length === 1 && keys[0] === "sealed" && typeof fields.sealed === "string"
    ? fields.sealed
    : undefined;
}
