import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { stopWordPress } from "../scripts/wordpress/index.ts";
import { stopProductionStack } from "../scripts/wordpress/production/stack.ts";
import { stopGatewayProcess } from "./support/gateway.ts";
import { readState, repoRoot } from "./support/state.ts";

/** Where the run's logs are kept after the temp folder is gone (git-ignored). */
const logsDir = path.join(repoRoot, "test-results", "e2e-logs");

/**
 * Stops WordPress and the gateway (whichever gateway process runs now), keeps the
 * logs in test-results/e2e-logs/, and removes the temp folder (kept with SLUICE_E2E_KEEP=1).
 * Fails the run when PHP logged anything (WP_DEBUG_LOG): a clean log, as in test/plugin.
 */
export default async function globalTeardown(): Promise<void> {
  const state = readState();
  if (state.wordpress.stackDir) await stopProductionStack(state.wordpress.stackDir);
  else await stopWordPress(state.wordpress.dir);
  await stopGatewayProcess(state.gateway.pid);

  rmSync(logsDir, { recursive: true, force: true });
  mkdirSync(logsDir, { recursive: true });
  const logs: [string, string][] = [
    [state.gateway.logFile, "gateway.log"],
    [path.join(state.root, "setup.log"), "setup.log"],
    [
      state.wordpress.serverLog,
      state.stack === "production" ? "nginx-error.log" : "php-server.log",
    ],
    [state.wordpress.debugLog, "wordpress-debug.log"],
  ];
  for (const [from, to] of logs) {
    if (existsSync(from)) copyFileSync(from, path.join(logsDir, to));
  }
  for (const from of state.wordpress.extraLogs) {
    if (existsSync(from))
      cpSync(from, path.join(logsDir, path.basename(from)), { recursive: true });
  }
  const logged = existsSync(state.wordpress.debugLog)
    ? readFileSync(state.wordpress.debugLog, "utf8").trim()
    : "";

  if (process.env.SLUICE_E2E_KEEP) console.log(`e2e: kept ${state.root} (SLUICE_E2E_KEEP)`);
  else rmSync(state.root, { recursive: true, force: true });
  // A warning, notice or fatal error of PHP is a failure even when every page looked fine.
  if (logged) {
    throw new Error(
      `PHP logged ${logged.split("\n").length} line(s) during the run (test-results/e2e-logs/wordpress-debug.log):\n${logged.split("\n").slice(0, 10).join("\n")}`,
    );
  }
}
