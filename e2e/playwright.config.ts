import { defineConfig } from "@playwright/test";
import { chromiumPath } from "./support/state.ts";
import { suiteStack } from "./support/suite-stack.ts";

/**
 * The end-to-end suite: a real WordPress (php -S + SQLite) with the plugin, a real
 * gateway with the demo provider, and Chromium. One WordPress and one gateway for the
 * whole run (globalSetup), tests one after another: several scenarios stop the
 * gateway or read its ledger, which parallel tests would disturb.
 */
export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  // Settings → Connectors exists from WordPress 7.0: the lab stack's 6.8 has none.
  testIgnore: suiteStack() === "lab" ? ["connectors.spec.ts"] : [],
  outputDir: "../test-results/e2e",
  globalSetup: "./global-setup.ts",
  globalTeardown: "./global-teardown.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: chromiumPath,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
      ],
    },
    viewport: { width: 1280, height: 900 },
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
});
