import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The request signature (docs/wire-format.md, "Signing", with a test vector):
 * v1=hex(HMAC-SHA256(secret, METHOD \n PATH \n TIMESTAMP \n NONCE \n hex(SHA-256(body)))).
 */
export const SIGNATURE_HEADERS = {
  site: "x-sluice-site",
  timestamp: "x-sluice-timestamp",
  nonce: "x-sluice-nonce",
  signature: "x-sluice-signature",
} as const;

export interface SignatureInput {
  method: string;
  /** Path including the query string. */
  path: string;
  timestamp: string;
  nonce: string;
  body: Uint8Array | string;
}

export function signatureFor(secret: string, input: SignatureInput): string {
  const bodyHash = createHash("sha256").update(input.body).digest("hex");
  const canonical = [
    input.method.toUpperCase(),
    input.path,
    input.timestamp,
    input.nonce,
    bodyHash,
  ].join("\n");
  return `v1=${createHmac("sha256", secret).update(canonical).digest("hex")}`;
}

/** Headers for a signed request: what the WordPress plugin (and any client) sends. */
export function signedHeaders(options: {
  siteId: string;
  secret: string;
  method: string;
  path: string;
  body: Uint8Array | string;
  now?: number;
  nonce?: string;
}): Record<string, string> {
  const timestamp = String(Math.floor((options.now ?? Date.now()) / 1000));
  const nonce = options.nonce ?? randomBytes(16).toString("hex");
  return {
    "X-Sluice-Site": options.siteId,
    "X-Sluice-Timestamp": timestamp,
    "X-Sluice-Nonce": nonce,
    "X-Sluice-Signature": signatureFor(options.secret, {
      method: options.method,
      path: options.path,
      timestamp,
      nonce,
      body: options.body,
    }),
  };
}

export function signaturesMatch(expected: string, received: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  return a.length === b.length && timingSafeEqual(a, b);
}
