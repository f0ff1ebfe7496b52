import { createHash, timingSafeEqual } from "node:crypto";
import { isIPv4 } from "node:net";
import type { Request, Response } from "express";
import { context } from "../context.ts";
import { sendError } from "../errors.ts";

/** What GET /metrics needs: the exposition, and who may read it. */
export interface MetricsRouteOptions {
  render(): Promise<string>;
  contentType: string;
  /** SLUICE_METRICS_TOKEN; undefined: loopback clients only. */
  token: string | undefined;
}

/**
 * GET /metrics, Prometheus text format. With a token configured, only a
 * request with `Authorization: Bearer <token>` gets it (401 otherwise), from
 * any address; without one, only a client on a loopback address that did not
 * come through a proxy, and any other is told there is no such route (404).
 * The proxy check matters: the shipped nginx and Apache configurations pass
 * /sluice-gateway/* on from 127.0.0.1, so without it /sluice-gateway/metrics
 * would be public; both add X-Forwarded-For, which a client cannot remove.
 */
export function metricsRoute(options: MetricsRouteOptions) {
  return async (req: Request, res: Response): Promise<void> => {
    res.setHeader("Cache-Control", "no-store");
    if (options.token === undefined) {
      if (!isLoopbackAddress(req.socket.remoteAddress) || cameThroughProxy(req)) {
        const requestId = context(res).requestId ?? "none";
        sendError(res, 404, "not_found", `no route for ${req.method} ${req.path}`, requestId);
        return;
      }
    } else if (!bearerMatches(req.get("authorization"), options.token)) {
      res
        .status(401)
        .setHeader("WWW-Authenticate", 'Bearer realm="sluice-metrics"')
        .type("text/plain")
        .send("GET /metrics needs Authorization: Bearer <SLUICE_METRICS_TOKEN>\n");
      return;
    }
    const body = await options.render();
    res.status(200).setHeader("Content-Type", options.contentType).send(body);
  };
}

/** Headers a reverse proxy adds: the request's real client is elsewhere. */
const PROXY_HEADERS = ["forwarded", "x-forwarded-for", "x-real-ip"] as const;

function cameThroughProxy(req: Request): boolean {
  return PROXY_HEADERS.some((name) => req.headers[name] !== undefined);
}

/** 127.0.0.0/8, ::1, and IPv4 loopback as an IPv6-mapped address (::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const lower = address.toLowerCase();
  if (lower === "::1" || lower === "0:0:0:0:0:0:0:1") return true;
  const ipv4 = lower.startsWith("::ffff:") ? lower.slice("::ffff:".length) : lower;
  return isIPv4(ipv4) && ipv4.startsWith("127.");
}

/**
 * Whether an Authorization header carries `Bearer <token>`. Both sides are
 * hashed first, so the comparison takes the same time whatever the lengths
 * and wherever they differ.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header ?? "");
  const given = createHash("sha256")
    .update(match?.[1] ?? "")
    .digest();
  const expected = createHash("sha256").update(token).digest();
  return timingSafeEqual(given, expected) && match !== null;
}
