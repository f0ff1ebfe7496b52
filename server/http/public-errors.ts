import {
  ERROR_CODES,
  type ErrorCodeRow,
  isErrorCode,
  UNKNOWN_FAILURE_MESSAGE,
} from "../../contract/error-codes.ts";

/**
 * What a client is told when a chat fails on the provider's side or inside the
 * gateway: one fixed sentence per code. A provider's own text may hold a masked
 * key, an internal address or an account name, and the client (through the
 * plugin, an anonymous visitor) is not the one to read it; it goes to the
 * gateway log with the request id instead.
 *
 * The messages are the table's of contract/error-codes.ts. The gateway's own
 * refusals (a field named in a 400, a reached cap) have none there: their
 * words are written for the client.
 *
 * A code without a message of its own gets a generic one.
 */
export function publicMessage(code: string): string {
  const row: ErrorCodeRow | undefined = isErrorCode(code) ? ERROR_CODES[code] : undefined;
  return row?.message ?? UNKNOWN_FAILURE_MESSAGE;
}
