/**
 * What a client is told when a chat fails on the provider's side or inside the
 * gateway: one fixed sentence per code. A provider's own text may hold a masked
 * key, an internal address or an account name, and the client (through the
 * plugin, an anonymous visitor) is not the one to read it; it goes to the
 * gateway log with the request id instead.
 *
 * The gateway's own refusals (a field named in a 400, a reached cap) are not
 * here: their words are written for the client.
 */
const MESSAGES: Record<string, string> = {
  provider_error: "the model provider failed; try again",
  provider_bad_request: "the model provider refused the request",
  provider_auth: "the gateway could not sign in to the model provider; tell the site's operator",
  provider_rate_limited: "the model provider is busy; try again shortly",
  provider_unavailable: "the model provider is unavailable; try again later",
  provider_unreachable: "the model provider could not be reached; try again",
  provider_stream_error: "the model provider broke off the answer; try again",
  upstream_stalled: "the model provider stopped sending; try again",
  stream_timeout: "the answer took longer than the gateway allows",
  internal_error: "the answer stopped because of an internal error",
};

const FALLBACK = "the answer stopped because of an error";

/** The fixed message for a failure code; a code without its own gets a generic one. */
export function publicMessage(code: string): string {
  return Object.hasOwn(MESSAGES, code) ? (MESSAGES[code] as string) : FALLBACK;
}
