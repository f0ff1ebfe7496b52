import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SuiteMode, SuiteStack } from "./suite-stack.ts";

/** The repository root. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Environment variable through which globalSetup tells the workers where the suite's state is. */
export const STATE_ENV = "SLUICE_E2E_STATE";

/** Chromium as installed by scripts/install-system-deps.sh; SLUICE_E2E_CHROMIUM overrides it. */
export const chromiumPath = process.env.SLUICE_E2E_CHROMIUM || "/usr/bin/chromium";

/** Pace of the demo provider during the suite: streams are observable but short. */
export const DEMO_DELAY_MS = 25;

/** Everything globalSetup started, written as JSON into the suite's temp folder. */
export interface SuiteState {
  /** Temp folder holding the gateway's data, the WordPress site and the logs. */
  root: string;
  /** Which WordPress runs (SLUICE_E2E_STACK) and how answers travel (SLUICE_E2E_MODE). */
  stack: SuiteStack;
  mode: SuiteMode;
  /** The direct streaming URL set in Settings → Sluice in direct mode, "" in relay mode. */
  directUrl: string;
  gateway: GatewayProcessInfo;
  wordpress: {
    dir: string;
    url: string;
    pid: number;
    adminUser: string;
    adminPassword: string;
    /** The page provisioned with a Chat block (blockId "e2e-seeded-chat"). */
    pageUrl: string;
    pageId: number;
    debugLog: string;
    serverLog: string;
    /** Other logs kept after the run (the production stack's daemons). */
    extraLogs: string[];
    wordPressVersion: string;
    /** The production stack's folder; absent on the lab stack. */
    stackDir?: string;
  };
}

export interface GatewayProcessInfo {
  url: string;
  port: number;
  dataDir: string;
  dbPath: string;
  siteId: string;
  secret: string;
  logFile: string;
  /** The gateway process now running (it changes when a test restarts the gateway). */
  pid: number;
}

export function stateFile(root: string): string {
  return path.join(root, "state.json");
}

export function writeState(state: SuiteState): void {
  writeFileSync(stateFile(state.root), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** The state globalSetup wrote; fails when the suite was not started through its config. */
export function readState(): SuiteState {
  const file = process.env[STATE_ENV];
  if (!file) {
    throw new Error(
      `${STATE_ENV} is not set: run the suite with \`npx playwright test -c e2e\` so that its globalSetup starts WordPress and the gateway`,
    );
  }
  return JSON.parse(readFileSync(file, "utf8")) as SuiteState;
}

/** Records the pid of a restarted gateway, so that globalTeardown stops the right process. */
export function updateGatewayPid(pid: number): void {
  const state = readState();
  state.gateway.pid = pid;
  writeState(state);
}
