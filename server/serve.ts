import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.ts";
import { recoverInterrupted } from "./budget/recovery.ts";
import type { GatewayConfig } from "./config.ts";
import { checkpointInBackground } from "./ledger/checkpointer.ts";
import { lockDatabase } from "./ledger/lock.ts";
import { createLogger } from "./logger.ts";
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
    services = createServices(config);
  } catch (error) {
    lock.release();
    throw error;
  }
  const interrupted = recoverInterrupted(services);
  if (interrupted > 0) {
    logger.warn({ interrupted }, "billed and closed requests left open by a crash");
  }
  const checkpoints = checkpointInBackground(services.db);
  const reclaim = setInterval(() => {
    const released = services.budget.releaseExpired(Date.now());
    if (released > 0) logger.warn({ released }, "released reservations past their time-out");
  }, 60_000);
  reclaim.unref();

  const server = createServer({ noDelay: true }, createApp(services, logger));
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      // A deep accept queue: a burst of new streams must wait, not be reset.
      server.listen({ port: config.port, host: config.host, backlog: 4096 }, () => resolve());
    });
  } catch (error) {
    clearInterval(reclaim);
    await checkpoints.stop();
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
      clearInterval(reclaim);
      await checkpoints.stop();
      try {
        services.close();
      } finally {
        lock.release();
      }
    },
  };
}
