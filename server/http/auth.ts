import type { NextFunction, Request, Response } from "express";
import type { NonceStore } from "../ledger/nonces.ts";
import type { SiteStore } from "../ledger/sites.ts";
import { context } from "./context.ts";
import { sendError } from "./errors.ts";
import { SIGNATURE_HEADERS, signatureFor, signaturesMatch } from "./signature.ts";

const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const SIGNATURE = /^v1=[0-9a-f]{64}$/;

export interface SignatureCheckOptions {
  sites: SiteStore;
  nonces: NonceStore;
  windowSeconds: number;
}

/**
 * Verifies the site signature of DESIGN.md on every /v1 request (the raw body
 * must already be a Buffer on req.body). Answers 401 with a precise code:
 * signature_missing, unknown_site, timestamp_out_of_window, invalid_nonce,
 * signature_invalid, nonce_reused.
 */
export function checkSignature(options: SignatureCheckOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const { requestId } = context(res);
    const refuse = (code: string, message: string) => sendError(res, 401, code, message, requestId);
    const siteId = header(req, SIGNATURE_HEADERS.site);
    const timestamp = header(req, SIGNATURE_HEADERS.timestamp);
    const nonce = header(req, SIGNATURE_HEADERS.nonce);
    const signature = header(req, SIGNATURE_HEADERS.signature);
    if (!siteId || !timestamp || !nonce || !signature) {
      const missing = Object.values(SIGNATURE_HEADERS).filter((name) => !header(req, name));
      refuse(
        "signature_missing",
        `missing header${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}`,
      );
      return;
    }
    const secret = options.sites.secretFor(siteId);
    if (secret === undefined) {
      refuse("unknown_site", `site "${siteId}" is not registered on this gateway`);
      return;
    }
    const seconds = Number(timestamp);
    const nowSeconds = Date.now() / 1000;
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowSeconds - seconds) > options.windowSeconds) {
      refuse(
        "timestamp_out_of_window",
        `X-Sluice-Timestamp must be unix seconds within ${options.windowSeconds} s of the gateway's clock`,
      );
      return;
    }
    if (!NONCE.test(nonce)) {
      refuse("invalid_nonce", "X-Sluice-Nonce must be 16-128 characters of A-Z, a-z, 0-9, _ or -");
      return;
    }
    if (!SIGNATURE.test(signature)) {
      refuse("signature_invalid", "X-Sluice-Signature must be v1= followed by 64 hex digits");
      return;
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const input = { method: req.method, path: req.originalUrl, timestamp, nonce, body };
    if (!signaturesMatch(signatureFor(secret, input), signature)) {
      refuse("signature_invalid", "the request signature does not match");
      return;
    }
    const expiresAt = (seconds + options.windowSeconds) * 1000;
    if (!options.nonces.claim(siteId, nonce, Math.max(expiresAt, Date.now() + 1000))) {
      refuse("nonce_reused", "this nonce was already used: a replayed request");
      return;
    }
    context(res).siteId = siteId;
    next();
  };
}

/** A header's value; "" when absent (Node joins a repeated custom header with ", "). */
function header(req: Request, name: string): string {
  const value = req.headers[name];
  return typeof value === "string" ? value : "";
}
