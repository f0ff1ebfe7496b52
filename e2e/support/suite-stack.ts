import path from "node:path";
import { provisionWordPress, startWordPress } from "../../scripts/wordpress/index.ts";
import type { Logger } from "../../scripts/wordpress/log.ts";
import {
  provisionProductionStack,
  startProductionStack,
  stopProductionStack,
} from "../../scripts/wordpress/production/stack.ts";
import { findStackTools } from "../../scripts/wordpress/production/tools.ts";
import type { ProvisionOptions } from "../../scripts/wordpress/provision.ts";
import { freePort } from "./gateway.ts";

/**
 * Which WordPress the suite runs on (SLUICE_E2E_STACK):
 * - "lab": WordPress 6.8 (Debian trixie) on SQLite, served by php -S: quick to build.
 * - "production": WordPress 7.1 (Debian forky) on MariaDB and PHP-FPM behind nginx
 *   serving docs/deploy/nginx.conf as shipped, the way docs/deploy sets up a host.
 */
export type SuiteStack = "lab" | "production";

/**
 * How visitors' answers travel (SLUICE_E2E_MODE):
 * - "relay": through WordPress (the plugin's chat route), the default of a new site.
 * - "direct": from the gateway itself, after a ticket from WordPress; switched on in
 *   Settings → Sluice before the first test, as docs/deploy tells an admin to.
 */
export type SuiteMode = "relay" | "direct";

export function suiteStack(): SuiteStack {
  const value = process.env.SLUICE_E2E_STACK || "lab";
  if (value === "lab" || value === "production") return value;
  throw new Error(`SLUICE_E2E_STACK must be "lab" or "production", not "${value}"`);
}

export function suiteMode(): SuiteMode {
  const value = process.env.SLUICE_E2E_MODE || "relay";
  if (value === "relay" || value === "direct") return value;
  throw new Error(`SLUICE_E2E_MODE must be "relay" or "direct", not "${value}"`);
}

/** Where the direct-mode suite's browsers reach the gateway on each stack. */
export function directStreamingUrl(stack: SuiteStack, gatewayUrl: string): string {
  // The shipped nginx config publishes the gateway on the site's own origin.
  return stack === "production" ? "/sluice-gateway" : gatewayUrl;
}

export interface SuiteWordPress {
  dir: string;
  url: string;
  /** php -S's pid on the lab stack; nginx's master on the production stack. */
  pid: number;
  adminUser: string;
  adminPassword: string;
  pageUrl: string;
  pageId: number;
  debugLog: string;
  /** The web server's log: php -S's, or nginx's error log. */
  serverLog: string;
  /** Other logs worth keeping after the run (PHP-FPM, MariaDB, nginx access). */
  extraLogs: string[];
  wordPressVersion: string;
  /** The production stack's folder (its daemons' run files), undefined on the lab stack. */
  stackDir?: string;
  stop(): Promise<void>;
}

type SiteOptions = Pick<
  ProvisionOptions,
  "gatewayUrl" | "siteId" | "siteSecret" | "pageTitle" | "pageSlug" | "pageContent"
>;

/**
 * Provisions and starts the suite's WordPress in `root` with `workers` PHP workers
 * (php -S workers, or PHP-FPM's pm.max_children).
 */
export async function startSuiteWordPress(
  stack: SuiteStack,
  root: string,
  workers: number,
  site: SiteOptions,
  log: Logger,
): Promise<SuiteWordPress> {
  if (stack === "lab") {
    const provisioned = await provisionWordPress({
      ...site,
      dir: path.join(root, "wordpress"),
      port: await freePort(),
      fresh: true,
      requirePlugin: true,
      log,
    });
    const server = await startWordPress({ dir: provisioned.dir, workers, log });
    return {
      ...provisioned,
      url: server.url,
      pid: server.pid,
      serverLog: server.serverLog,
      extraLogs: [],
      stop: server.stop,
    };
  }
  // Fails naming scripts/install-system-deps.sh when nginx, PHP-FPM or MariaDB is missing.
  await findStackTools();
  const stackDir = path.join(root, "production");
  const provisioned = await provisionProductionStack({
    ...site,
    dir: stackDir,
    port: await freePort(),
    phpFpmPort: await freePort(),
    mariadbPort: await freePort(),
    maxChildren: workers,
    fresh: true,
    requirePlugin: true,
    log,
  });
  // Tied to the test runner's process: a run that dies leaves no daemon behind.
  const running = await startProductionStack({ dir: stackDir, log, tiedToThisProcess: true });
  const nginx = running.daemons.find((daemon) => daemon.name.startsWith("nginx"));
  return {
    ...provisioned,
    url: running.url,
    pid: nginx?.pid ?? 0,
    serverLog: path.join(running.layout.logDir, `${nginx?.name ?? "nginx"}-error.log`),
    extraLogs: [running.layout.logDir],
    stackDir,
    stop: async () => {
      await running.stop();
      await stopProductionStack(stackDir);
    },
  };
}
