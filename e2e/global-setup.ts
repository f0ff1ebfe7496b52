import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { provisionWordPress, startWordPress } from "../scripts/wordpress/index.ts";
import {
  freePort,
  registerSite,
  startGatewayProcess,
  stopGatewayProcess,
} from "./support/gateway.ts";
import { checkPrerequisites } from "./support/prerequisites.ts";
import {
  type GatewayProcessInfo,
  STATE_ENV,
  type SuiteState,
  stateFile,
  writeState,
} from "./support/state.ts";

/** The Chat block of the provisioned page, used by every scenario that needs a ready chat. */
export const SEEDED_BLOCK_ID = "e2e-seeded-chat";
const seededPage = `<!-- wp:sluice/chat {"blockId":"${SEEDED_BLOCK_ID}","title":"Ask the demo"} /-->`;

/**
 * Starts what the suite needs, once: a gateway (`sluice serve`, demo provider, temp
 * data folder, one registered site) and a fresh WordPress in a temp folder with the
 * repository's plugin, served by php -S on its own port.
 */
export default async function globalSetup(): Promise<void> {
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
  let stopWordPressServer: (() => Promise<void>) | undefined;
  try {
    await registerSite(gateway);
    gateway.pid = await startGatewayProcess(gateway);

    const wordPressPort = await freePort();
    const site = await provisionWordPress({
      dir: path.join(root, "wordpress"),
      port: wordPressPort,
      fresh: true,
      requirePlugin: true,
      gatewayUrl: gateway.url,
      siteId: gateway.siteId,
      siteSecret: gateway.secret,
      pageTitle: "Chat with Sluice",
      pageSlug: "chat",
      pageContent: seededPage,
      log,
    });
    // Six workers hold seven open streams: room for a stream, the page's own assets
    // and a Stop that PHP has not noticed yet.
    const server = await startWordPress({ dir: site.dir, workers: 6, log });
    stopWordPressServer = server.stop;

    // Warm PHP's OPcache so the first test does not pay for it.
    for (const url of [site.pageUrl, `${server.url}/wp-login.php`]) {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
    }

    const state: SuiteState = {
      root,
      gateway,
      wordpress: {
        dir: site.dir,
        url: server.url,
        pid: server.pid,
        adminUser: site.adminUser,
        adminPassword: site.adminPassword,
        pageUrl: site.pageUrl,
        pageId: site.pageId,
        debugLog: site.debugLog,
        serverLog: server.serverLog,
      },
    };
    writeState(state);
    process.env[STATE_ENV] = stateFile(root);
    console.log(
      `e2e: WordPress ${site.wordPressVersion} at ${server.url}, gateway at ${gateway.url} (ready in ${((performance.now() - started) / 1000).toFixed(1)} s; files in ${root})`,
    );
  } catch (error) {
    await stopWordPressServer?.();
    if (gateway.pid) await stopGatewayProcess(gateway.pid);
    console.error(`e2e: setup failed; its log is ${setupLog}, the gateway's ${gateway.logFile}`);
    if (!process.env.SLUICE_E2E_KEEP) rmSync(root, { recursive: true, force: true });
    throw error;
  }
}
