import type { NextFunction, Request, Response } from "express";

/** The headers a direct chat sends besides the simple ones. */
const ALLOWED_HEADERS = "content-type, x-sluice-ticket";
/** How long a browser may keep a preflight's answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = "600";

/**
 * CORS for the direct chat route (docs/wire-format.md, "Direct chat"). A page
 * served from the gateway's own origin (a proxied path such as
 * /sluice-gateway/) needs none of this. A page on another origin may read the
 * answers only when some site lists that origin (`sluice site set-origins`):
 * a preflight names no site, so the list of every site is what counts, and
 * which site's tickets a page may use is fixed by the ticket's signed origin.
 * Credentials are never allowed: a direct chat needs no cookie.
 *
 * `isListed` answers whether any site lists an origin.
 */
export function directCors(isListed: (origin: string) => boolean) {
  const listedOrigin = (req: Request): string | undefined => {
    const origin = req.headers.origin;
    return typeof origin === "string" && isListed(origin) ? origin : undefined;
  };

  /** OPTIONS: allows the POST with its two headers to a listed origin; says nothing to another. */
  const preflight = (req: Request, res: Response): void => {
    res.vary("Origin");
    const origin = listedOrigin(req);
    if (origin !== undefined) {
      res.set({
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE_S,
      });
    }
    res.status(204).end();
  };

  /** POST: set before any check, so that the page can read a refusal's code too. */
  const headers = (req: Request, res: Response, next: NextFunction): void => {
    res.vary("Origin");
    const origin = listedOrigin(req);
    if (origin !== undefined) {
      res.set({
        "Access-Control-Allow-Origin": origin,
        // Retry-After: a busy or rate-limited answer's wait, which the block shows.
        "Access-Control-Expose-Headers": "x-request-id, retry-after",
      });
    }
    next();
  };

  return { preflight, headers };
}
