import type { NextFunction, Request, Response } from "express";
import type { NonceStore } from "../ledger/nonces.ts";
import type { SiteStore } from "../ledger/sites.ts";
import { context } from "./context.ts";
import { sendError } from "./errors.ts";
import { discardBody } from "./raw-body.ts";
import { SIGNATURE_HEADERS, signatureFor, signaturesMatch } from "./signature.ts";

const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const SIGNATURE = /^v1=[0-9a-f]{64}$/;

export interface SignatureCheckOptions {
  sites: SiteStore;
  nonces: NonceStore;
  windowSeconds: number;
  /** Told of each 401 (for the audit log): its code, and the site when it is a registered one. */
  onRejected?: (rejection: SignatureRejection) => void;
}

export interface SignatureRejection {
  code: string;
  /** Undefined when the request named no site or an unregistered one. */
  siteId: string | undefined;
}

/** What the header check learnt, for the body check that follows it. */
interface PendingSignature {
  siteId: string;
  /** The secrets that may have signed it (the previous one during a rotation's grace). */
  secrets: string[];
  timestamp: string;
  seconds: number;
  nonce: string;
  signature: string;
}

/**
 * Verifies the site signature (docs/wire-format.md, "Signing") on every /v1
 * request, in two steps around the body read (raw-body.ts):
 * - `headers`, before the body: the four headers are present and well formed,
 *   the site is known and the timestamp within the window. A request that
 *   fails here is refused without its body being buffered (what is left of it
 *   is read into nothing for a moment, then the connection is cut).
 * - `body`, once the raw body is a Buffer on req.body: the HMAC over it, then
 *   the nonce is claimed.
 * Refusals are 401 with a precise code: signature_missing, unknown_site,
 * timestamp_out_of_window, invalid_nonce, signature_invalid, nonce_reused.
 */
export function signatureChecks(options: SignatureCheckOptions) {
  const pending = new WeakMap<Request, PendingSignature>();

  const headers = (req: Request, res: Response, next: NextFunction): void => {
    let knownSite: string | undefined;
    const refuse = (code: string, message: string) => {
      discardBody(req);
      sendError(res, 401, code, message, context(res).requestId);
      options.onRejected?.({ code, siteId: knownSite });
    };
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
    const secrets = options.sites.secretsFor(siteId);
    if (secrets === undefined) {
      refuse("unknown_site", `site "${siteId}" is not registered on this gateway`);
      return;
    }
    knownSite = siteId;
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
    pending.set(req, { siteId, secrets, timestamp, seconds, nonce, signature });
    next();
  };

  const body = (req: Request, res: Response, next: NextFunction): void => {
    const { requestId } = context(res);
    const checked = pending.get(req);
    pending.delete(req);
    if (!checked) throw new Error("the signature headers were not checked before the body");
    const { siteId, secrets, timestamp, seconds, nonce, signature } = checked;
    const refuse = (code: string, message: string) => {
      sendError(res, 401, code, message, requestId);
      options.onRejected?.({ code, siteId });
    };
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const input = { method: req.method, path: req.originalUrl, timestamp, nonce, body: raw };
    // The site's secret, or the one it replaced while a rotation's grace lasts.
    if (!secrets.some((secret) => signaturesMatch(signatureFor(secret, input), signature))) {
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

  return { headers, body };
}

/** A header's value; "" when absent (Node joins a repeated custom header with ", "). */
function header(req: Request, name: string): string {
  const value = req.headers[name];
  return typeof value === "string" ? value : "";
}
