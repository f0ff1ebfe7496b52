import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  freePort,
  registerSite,
  setSiteOrigins,
  startGatewayProcess,
  stopGatewayProcess,
} from "./support/gateway.ts";
import { switchSuiteToDirectStreaming } from "./support/modes.ts";
import { checkPrerequisites } from "./support/prerequisites.ts";
import {
  type GatewayProcessInfo,
  STATE_ENV,
  type SuiteState,
  stateFile,
  writeState,
} from "./support/state.ts";
import {
  directStreamingUrl,
  type SuiteWordPress,
  startSuiteWordPress,
  suiteMode,
  suiteStack,
} from "./support/suite-stack.ts";

/** The Chat block of the provisioned page, used by every scenario that needs a ready chat. */
export const SEEDED_BLOCK_ID = "e2e-seeded-chat";
const seededPage = `<!-- wp:sluice/chat {"blockId":"${SEEDED_BLOCK_ID}","title":"Ask the demo"} /-->`;

/**
 * Starts what the suite needs, once: a gateway (`sluice serve`, demo provider, temp
 * data folder, one registered site) and a fresh WordPress in a temp folder with the
 * repository's plugin, on the stack SLUICE_E2E_STACK names; in SLUICE_E2E_MODE=direct
 * the admin then switches the site to direct streaming.
 */
export default async function globalSetup(): Promise<void> {
  const stack = suiteStack();
  const mode = suiteMode();
  checkPrerequisites();
  const started = performance.now();
  const root = mkdtempSync(path.join(tmpdir(), "sluice-e2e-"));
  const setupLog = path.join(root, "setup.log");
  const log = (line: string) => appendFileSync(setupLog, `${line}\n`);

  const gatewayPort = await freePort();
  const dataDir = path.join(root, "gateway");
  mkdirSync(dataDir);
  const gateway: GatewayProcessInfo = {
    url: `http://127.0.0.1:${gatewayPort}`,
    port: gatewayPort,
    dataDir,
    dbPath: path.join(dataDir, "sluice.db"),
    siteId: "e2e-site",
    secret: randomBytes(32).toString("base64url"),
    logFile: path.join(root, "gateway.log"),
    pid: 0,
  };
  let wordpress: SuiteWordPress | undefined;
  try {
    await registerSite(gateway);
    gateway.pid = await startGatewayProcess(gateway);

    // Six workers hold seven open streams: room for a stream, the page's own assets
    // and a Stop that PHP has not noticed yet.
    wordpress = await startSuiteWordPress(
      stack,
      root,
      6,
      {
        gatewayUrl: gateway.url,
        siteId: gateway.siteId,
        siteSecret: gateway.secret,
        pageTitle: "Chat with Sluice",
        pageSlug: "chat",
        pageContent: seededPage,
      },
      log,
    );

    // Warm PHP's OPcache so the first test does not pay for it.
    for (const url of [wordpress.pageUrl, `${wordpress.url}/wp-login.php`]) {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
    }

    const { stop: _stop, ...site } = wordpress;
    const state: SuiteState = {
      root,
      stack,
      mode,
      directUrl: mode === "direct" ? directStreamingUrl(stack, gateway.url) : "",
      gateway,
      wordpress: site,
    };
    writeState(state);
    process.env[STATE_ENV] = stateFile(root);
    if (mode === "direct") {
      // A gateway on another origin than the site's must list the site's origin.
      if (!state.directUrl.startsWith("/")) await setSiteOrigins(gateway, [wordpress.url]);
      await switchSuiteToDirectStreaming();
    }
    console.log(
      `e2e: WordPress ${wordpress.wordPressVersion} (${stack} stack, ${mode === "direct" ? `direct streaming from ${state.directUrl}` : "relay"}) at ${wordpress.url}, gateway at ${gateway.url} (ready in ${((performance.now() - started) / 1000).toFixed(1)} s; files in ${root})`,
    );
  } catch (error) {
    await wordpress?.stop();
    if (gateway.pid) await stopGatewayProcess(gateway.pid);
    console.error(`e2e: setup failed; its log is ${setupLog}, the gateway's ${gateway.logFile}`);
    if (!process.env.SLUICE_E2E_KEEP) rmSync(root, { recursive: true, force: true });
    throw error;
  }
}
