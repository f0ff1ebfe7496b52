import { publicMessage } from "./public-errors.ts";

/**
 * What a visitor's browser is told when the direct route (POST /v1/direct/chat)
 * refuses a chat: no plugin stands between to reword the gateway's answers, so
 * every refusal gets one fixed sentence per code. The gateway's own words name
 * fields, models, allowlists and amounts for the site's admin; on this route
 * they go to the gateway's log with the request id instead. Details a visitor
 * needs (a cap's scope and reset time, Retry-After) are kept.
 *
 * A failure's code keeps the table's fixed message (public-errors.ts).
 */
const VISITOR_MESSAGES: Record<string, string> = {
  ticket_missing: "this chat needs a ticket from the site; reload the page",
  ticket_invalid: "the chat ticket is not valid; reload the page",
  ticket_expired: "the chat ticket has expired; ask again",
  ticket_reused: "the chat ticket was already used; ask again",
  ticket_body_mismatch: "the chat request does not match its ticket; ask again",
  origin_mismatch: "the chat ticket was issued for another page",
  unknown_site: "this site's chat is not set up on the gateway",
  invalid_request: "the chat request is not valid",
  invalid_json: "the chat request is not valid",
  invalid_content_type: "the chat request is not valid",
  unsupported_encoding: "the chat request is not valid",
  body_too_large: "the conversation is too long",
  context_length_exceeded: "the conversation is too long for the model",
  unknown_model: "this chat's model is not available",
  model_not_allowed: "this chat's model is not available",
  budget_exhausted: "this chat's spending limit is reached",
  provider_not_configured: "the chat is unavailable right now; try again later",
  no_route: "the chat is unavailable right now; try again later",
  ledger_unavailable: "the chat is unavailable right now; try again shortly",
};

/** The sentence a visitor gets for a code on the direct route. */
export function visitorMessage(code: string): string {
  return Object.hasOwn(VISITOR_MESSAGES, code)
    ? (VISITOR_MESSAGES[code] as string)
    : publicMessage(code);
}
