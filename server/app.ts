import express, { type NextFunction, type Request, type Response } from "express";
import { type SignatureRejection, signatureChecks } from "./http/auth.ts";
import { assignRequestId, context } from "./http/context.ts";
import { directCors } from "./http/cors.ts";
import { GatewayError, sendError } from "./http/errors.ts";
import { readRawBody } from "./http/raw-body.ts";
import { sendRefusal } from "./http/refusals.ts";
import { modelsRoute, usageRoute } from "./http/routes/catalog.ts";
import { chatRoute } from "./http/routes/chat.ts";
import { externalUsageRoute } from "./http/routes/external-usage.ts";
import { keysRoute } from "./http/routes/keys.ts";
import { metricsRoute } from "./http/routes/metrics.ts";
import { policyRoutes } from "./http/routes/policy.ts";
import { requestsRoute } from "./http/routes/requests.ts";
import { transcriptRoutes } from "./http/routes/transcripts.ts";
import { ticketChecks } from "./http/ticket-auth.ts";
import type { GatewayAudit } from "./ledger/audit-throttle.ts";
import { keepMetadata } from "./ledger/metadata-privacy.ts";
import type { Logger } from "./logger.ts";
import { Refusal } from "./refusal.ts";
import type { Services } from "./services.ts";
import { rotationHealth } from "./vault/provider-keys.ts";

export const VERSION = "0.1.0";

/** `audit`: where the routes record security events (serve.ts passes it; some tests do not). */
export function createApp(
  services: Services,
  logger: Logger,
  audit?: GatewayAudit,
): express.Express {
  const { config } = services;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.get("/healthz", (_req, res) => {
    // Settlements waiting on a failing database: durable in the journal (degraded), or not (failing).
    const backlog = services.settlements.backlog;
    const status = backlog.held > 0 ? "failing" : backlog.journaled > 0 ? "degraded" : "ok";
    res.status(status === "failing" ? 503 : 200).json({
      status,
      version: VERSION,
      streaming: config.streaming,
      ledger: {
        unwritten_settlements: backlog.journaled + backlog.held,
        journaled: backlog.journaled,
        held_in_memory: backlog.held,
        since: backlog.since === undefined ? null : new Date(backlog.since).toISOString(),
        last_error: backlog.lastError ?? null,
      },
      provider_keys: providerKeyHealth(services),
    });
  });

  // Prometheus scrapes: a bearer token (SLUICE_METRICS_TOKEN), else loopback clients only.
  const { metrics } = services;
  app.get(
    "/metrics",
    assignRequestId,
    metricsRoute({
      render: () => metrics.render(),
      contentType: metrics.contentType,
      token: config.metricsToken,
    }),
  );

  // Every /v1 route: an id; the signature headers (a known site, a fresh
  // timestamp), so a stranger's body is never buffered; the raw body (a Buffer:
  // the signature covers its exact bytes); then the signature over it.
  const signature = signatureChecks({
    sites: services.sites,
    nonces: services.nonces,
    windowSeconds: config.signatureWindowSeconds,
    onRejected: (rejection) => auditRejection(audit, "signed", rejection),
  });
  const signed = [
    assignRequestId,
    signature.headers,
    readRawBody(config.maxBodyBytes),
    signature.body,
  ];
  const chat = chatRoute({
    deps: services.chat,
    inflight: services.inflight,
    streaming: config.streaming,
    maxInputChars: config.maxInputChars,
    keepAliveMs: config.keepAliveMs,
    logger,
    onRefused: (siteId, refusal) => {
      if (refusal.code !== "budget_exhausted") return;
      audit?.throttle.record({
        actor: "gateway",
        event: "budget.exhausted",
        subject: siteId,
        details: { code: refusal.code, scope: refusal.details.scope ?? null },
      });
    },
  });
  app.post("/v1/chat", ...signed, chat);

  // Direct mode: the visitor's browser posts the chat itself, with a ticket
  // WordPress issued in place of the signature (checked on the headers before
  // the body is read, then the sealed body opened with it), and reads the
  // answers, worded for visitors. The same chat as /v1/chat from there on. No
  // other route takes a ticket.
  const ticket = ticketChecks({
    sites: services.sites,
    nonces: services.nonces,
    logger,
    onRejected: (rejection) => auditRejection(audit, "direct", rejection),
  });
  const cors = directCors((origin) => services.sites.isListedOrigin(origin));
  app.options("/v1/direct/chat", cors.preflight);
  app.post(
    "/v1/direct/chat",
    assignRequestId,
    cors.headers,
    ticket.visitorFacing,
    ticket.headers,
    readRawBody(config.maxBodyBytes),
    ticket.body,
    chat,
  );
  app.get(
    "/v1/models",
    ...signed,
    modelsRoute(services.catalog, services.registry, services.policies),
  );
  app.get("/v1/usage", ...signed, usageRoute(services.usage, services.policies));
  app.post(
    "/v1/external-usage",
    ...signed,
    externalUsageRoute(services.externalUsage, () => services.chat.clock.now()),
  );
  const policy = policyRoutes(services.policies, services.budget, audit?.log);
  app.get("/v1/policy", ...signed, policy.show);
  app.put("/v1/policy", ...signed, policy.update);
  app.get("/v1/requests", ...signed, requestsRoute(services.db));
  app.get("/v1/keys", ...signed, keysRoute(services.providerKeys, config));
  const transcripts = transcriptRoutes(
    services.transcripts,
    () => services.chat.metadata ?? keepMetadata,
    () => services.chat.clock.now(),
  );
  app.get("/v1/transcripts", ...signed, transcripts.list);
  app.get("/v1/transcripts/settings", ...signed, transcripts.showSettings);
  app.put("/v1/transcripts/settings", ...signed, transcripts.updateSettings);
  app.post("/v1/transcripts/purge", ...signed, transcripts.purge);
  app.post("/v1/transcripts/visitors/export", ...signed, transcripts.exportVisitors);
  app.post("/v1/transcripts/visitors/erase", ...signed, transcripts.eraseVisitors);
  app.get("/v1/transcripts/conversations/:conversation_id", ...signed, transcripts.show);
  app.delete("/v1/transcripts/conversations/:conversation_id", ...signed, transcripts.remove);

  app.use((req: Request, res: Response) => {
    const requestId = context(res).requestId ?? "none";
    sendError(res, 404, "not_found", `no route for ${req.method} ${req.path}`, requestId);
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const requestId = context(res).requestId ?? "none";
    if (error instanceof GatewayError) {
      sendError(res, error.status, error.code, error.message, requestId, error.headers);
      return;
    }
    if (error instanceof Refusal) {
      sendRefusal(res, error, requestId);
      return;
    }
    const status = httpStatusOf(error);
    if (status !== undefined && status >= 400 && status < 500) {
      sendError(res, status, "invalid_request", "the request could not be read", requestId);
      return;
    }
    logger.error({ err: error, requestId }, "unhandled error");
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(res, 500, "internal_error", "the gateway failed; see its log", requestId);
  });
  return app;
}

/**
 * The rotation policy in /healthz (the status is not changed by it). No site,
 * scope or key is named: `sluice key list` and the signed GET /v1/keys say which.
 */
function providerKeyHealth({ config, providerKeys }: Services) {
  try {
    return rotationHealth(providerKeys.list(), config.environment, config.keyMaxAgeDays);
  } catch {
    // A failing database is reported in `ledger`; the health check itself must answer.
    return null;
  }
}

/** A 401, throttled: the subject is a registered site or "unknown", never a name the request made up. */
function auditRejection(
  audit: GatewayAudit | undefined,
  route: "signed" | "direct",
  rejection: SignatureRejection,
): void {
  audit?.throttle.record({
    actor: "gateway",
    event: "signature.rejected",
    subject: rejection.siteId ?? "unknown",
    details: { code: rejection.code, route },
  });
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "status" in error) {
    const status = (error as { status: unknown }).status;
    if (typeof status === "number") return status;
  }
  return undefined;
}
