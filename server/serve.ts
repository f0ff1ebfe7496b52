import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.ts";
import type { GatewayConfig } from "./config.ts";
import { AuditLog } from "./ledger/audit.ts";
import { AuditThrottle, type GatewayAudit } from "./ledger/audit-throttle.ts";
import { checkpointInBackground } from "./ledger/checkpointer.ts";
import { lockDatabase } from "./ledger/lock.ts";
import { createLogger, type Logger } from "./logger.ts";
import { recoverInterrupted } from "./recovery.ts";
import { createServices, type Services } from "./services.ts";

export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  services: Services;
  close(): Promise<void>;
}

/** Starts the gateway: opens the database, reclaims rows a crash left open, listens. */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const logger = createLogger(config.logLevel);
  // Before recovery: it must never close another live gateway's open requests.
  const lock = lockDatabase(config.dbPath);
  let services: Services;
  try {
    services = createServices(config, logger);
    // Settlements a failing disk left in the journal first: their rows are settled, not interrupted.
    const replayed = services.settlements.replay();
    if (replayed > 0) logger.warn({ replayed }, "wrote settlements kept in the journal");
    const interrupted = recoverInterrupted(services);
    if (interrupted > 0) {
      logger.warn({ interrupted }, "billed and closed requests left open by a crash");
    }
  } catch (error) {
    lock.release();
    throw error;
  }
  const audit = gatewayAudit(services, logger);
  const checkpoints = checkpointInBackground(services.db);
  const reclaim = setInterval(() => reclaimExpired(services, logger), 60_000);
  reclaim.unref();
  // A KEK rotated by `sluice vault rotate-kek` meanwhile: sealing and the audit log follow it.
  const kekCheck = setInterval(() => services.kekReload.check(), 10_000);
  kekCheck.unref();

  // Receiving a request, headers and body, is bounded: a client trickling bytes
  // gets 408 and a closed socket. Node's requestTimeout ends when the body is in,
  // so sending the answer (a stream of minutes) is not bounded by it.
  const server = createServer(
    {
      noDelay: true,
      requestTimeout: config.bodyTimeoutMs,
      headersTimeout: config.bodyTimeoutMs,
      // How often Node looks for requests past those times (its default is 30 s).
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(config.bodyTimeoutMs / 4)),
    },
    createApp(services, logger, audit),
  );
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      // A deep accept queue: a burst of new streams must wait, not be reset.
      server.listen({ port: config.port, host: config.host, backlog: 4096 }, () => resolve());
    });
  } catch (error) {
    clearInterval(reclaim);
    clearInterval(kekCheck);
    await checkpoints.stop();
    closeAudit(audit);
    services.close();
    lock.release();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, db: config.dbPath, streaming: config.streaming }, "sluice gateway listening");

  return {
    url,
    port,
    server,
    services,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Open streams are cut; each chat then settles its ledger row before the database closes.
      server.closeAllConnections();
      await Promise.all([closed, ...services.inflight]);
      services.settlements.flush();
      services.settlements.stop();
      clearInterval(reclaim);
      clearInterval(kekCheck);
      await checkpoints.stop();
      closeAudit(audit);
      try {
        services.close();
      } finally {
        lock.release();
      }
    },
  };
}

/**
 * The audit log the routes write to. A row that cannot be written is logged
 * and counted (AuditLog.failures), never thrown into a request.
 */
function gatewayAudit(services: Services, logger: Logger): GatewayAudit {
  const log = new AuditLog(services.db, services.vault, {
    onError: (error, entry) =>
      logger.error(
        { err: error, event: entry.event, failures: log.failures },
        "the audit log could not record an event",
      ),
  });
  return { log, throttle: new AuditThrottle(log) };
}

/** Writes the counts the throttle still holds, then forgets the audit key. */
function closeAudit(audit: GatewayAudit): void {
  audit.throttle.close();
  audit.log.forget();
}

/**
 * Releases reservations past their time-out. A database error here (disk
 * full, locked) is logged and tried again on the next tick: it must never
 * end the process.
 */
export function reclaimExpired(services: Services, logger: Logger, now = Date.now()): number {
  try {
    const released = services.budget.releaseExpired(now);
    if (released > 0) logger.warn({ released }, "released reservations past their time-out");
    return released;
  } catch (error) {
    logger.error({ err: error }, "releasing expired reservations failed; will retry");
    return 0;
  }
}
