import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { isSerializedOrigin } from "../ledger/sites.ts";

/**
 * The chat ticket of direct mode (docs/wire-format.md, "Direct chat", with a
 * test vector in test/fixtures/ticket-vector.json). WordPress issues one per
 * chat; the visitor's browser sends it to the gateway instead of the site
 * signature, which it cannot make.
 *
 * - The header, `X-Sluice-Ticket: v1.<P>.<M>`: P is base64url (no padding) of
 *   the JSON payload {site, nonce, iat, exp, origin}; M is
 *   hex(HMAC-SHA256(site secret, "ticket.v1." + P)). Everything the gateway
 *   checks before reading the body is here.
 * - The body, `{"sealed": S}`: S is base64url (no padding) of
 *   iv(12) ‖ ChaCha20-Poly1305(key, iv, aad = P, plaintext = the chat body),
 *   ciphertext then the 16-byte tag, with key = HKDF-SHA256(site secret, no
 *   salt, info "sluice ticket body v1", 32 bytes). Sealed, so that the
 *   browser neither reads nor changes what the site put in (its system
 *   prompt, model, answer length, the visitor's id); bound to P, so that it
 *   goes with this ticket only.
 */
export const TICKET_HEADER = "x-sluice-ticket";
/** The longest a ticket may live: exp is at most this long after iat. */
export const TICKET_MAX_LIFETIME_SECONDS = 60;
/** How far ahead of the gateway's clock iat may be (the site's clock runs fast). */
export const TICKET_CLOCK_SKEW_SECONDS = 30;

const MAC_PREFIX = "ticket.v1.";
const BODY_KEY_INFO = "sluice ticket body v1";
const SEAL_CIPHER = "chacha20-poly1305";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const TICKET = /^v1\.([A-Za-z0-9_-]{1,2048})\.([0-9a-f]{64})$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const PAYLOAD_FIELDS = ["site", "nonce", "iat", "exp", "origin"] as const;

export interface TicketPayload {
  /** The site id the gateway knows the site by. */
  site: string;
  /** 16-128 of A-Za-z0-9_-, never used twice. */
  nonce: string;
  /** Unix seconds: issued at, and expiring at (at most 60 s later). */
  iat: number;
  exp: number;
  /** The origin of the page the browser runs (https://blog.example): sent back as Origin. */
  origin: string;
}

/** A ticket header taken apart; the MAC is not checked yet (that needs the site's secret). */
export interface ParsedTicket {
  /** P as it came: the MAC and the seal cover these exact characters. */
  encodedPayload: string;
  mac: string;
  payload: TicketPayload;
}

export function ticketMac(secret: string, encodedPayload: string): string {
  return createHmac("sha256", secret).update(`${MAC_PREFIX}${encodedPayload}`).digest("hex");
}

export function macsMatch(expected: string, received: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The header's value for a payload, as the plugin writes it. */
export function encodeTicket(secret: string, payload: TicketPayload): string {
  const encodedPayload = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
  return `v1.${encodedPayload}.${ticketMac(secret, encodedPayload)}`;
}

/** The header taken apart, or why it is not a ticket (a sentence for the log). */
export function parseTicket(header: string): ParsedTicket | { problem: string } {
  const match = TICKET.exec(header);
  if (!match) return { problem: "not of the form v1.<base64url payload>.<64 hex digits>" };
  const [, encodedPayload = "", mac = ""] = match;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(encodedPayload, "base64url").toString("utf8"));
  } catch {
    return { problem: "the payload is not base64url of JSON" };
  }
  const problem = payloadProblem(payload);
  if (problem) return { problem };
  return { encodedPayload, mac, payload: payload as TicketPayload };
}

function payloadProblem(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    return "the payload is not a JSON object";
  }
  const fields = payload as Record<string, unknown>;
  const extra = Object.keys(fields).filter(
    (name) => !(PAYLOAD_FIELDS as readonly string[]).includes(name),
  );
  if (extra.length > 0) return `unknown payload field: ${extra.join(", ")}`;
  const { site, nonce, iat, exp, origin } = fields;
  if (typeof site !== "string" || site === "") return "site: must be a site id";
  if (typeof nonce !== "string" || !NONCE.test(nonce)) {
    return "nonce: must be 16-128 characters of A-Z, a-z, 0-9, _ or -";
  }
  if (!isUnixSeconds(iat)) return "iat: must be unix seconds (a whole number)";
  if (!isUnixSeconds(exp)) return "exp: must be unix seconds (a whole number)";
  if (exp <= iat || exp - iat > TICKET_MAX_LIFETIME_SECONDS) {
    return `exp: must be after iat, by at most ${TICKET_MAX_LIFETIME_SECONDS} s`;
  }
  if (typeof origin !== "string" || !isSerializedOrigin(origin)) {
    return "origin: must be an origin as a browser sends it (https://blog.example: lower case, no path, no default port)";
  }
  return undefined;
}

function isUnixSeconds(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

function bodyKey(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), BODY_KEY_INFO, 32));
}

/** S for a chat body: what the plugin puts in {"sealed": S}. */
export function sealTicketBody(
  secret: string,
  encodedPayload: string,
  body: string,
  iv: Buffer = randomBytes(IV_BYTES),
): string {
  const cipher = createCipheriv(SEAL_CIPHER, bodyKey(secret), iv, { authTagLength: TAG_BYTES });
  const plaintext = Buffer.from(body, "utf8");
  cipher.setAAD(Buffer.from(encodedPayload, "ascii"), { plaintextLength: plaintext.length });
  const sealed = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return sealed.toString("base64url");
}

/** The chat body's exact bytes, or undefined when S was not sealed for this ticket or changed. */
export function openTicketBody(
  secret: string,
  encodedPayload: string,
  sealed: string,
): Buffer | undefined {
  if (!BASE64URL.test(sealed)) return undefined;
  const raw = Buffer.from(sealed, "base64url");
  if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
  const iv = raw.subarray(0, IV_BYTES);
  const ciphertext = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
  const decipher = createDecipheriv(SEAL_CIPHER, bodyKey(secret), iv, {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(Buffer.from(encodedPayload, "ascii"), { plaintextLength: ciphertext.length });
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * A ticket for one chat body, as the plugin issues it: the header's value and
 * the exact request body to send with it. For tests, the CLI and clients in
 * other languages to compare with.
 */
export function issueTicket(options: {
  siteId: string;
  secret: string;
  origin: string;
  body: string;
  now?: number;
  nonce?: string;
  lifetimeSeconds?: number;
}): { ticket: string; requestBody: string } {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const payload: TicketPayload = {
    site: options.siteId,
    nonce: options.nonce ?? randomBytes(16).toString("hex"),
    iat,
    exp: iat + (options.lifetimeSeconds ?? TICKET_MAX_LIFETIME_SECONDS),
    origin: options.origin,
  };
  const ticket = encodeTicket(options.secret, payload);
  const encodedPayload = ticket.split(".")[1] ?? "";
  const sealed = sealTicketBody(options.secret, encodedPayload, options.body);
  return { ticket, requestBody: JSON.stringify({ sealed }) };
}
