/**
 * `npm start`: the whole of Sluice on this machine. Starts the gateway (the demo
 * provider answers when no provider key is set), builds the Chat block when its
 * build is missing, provisions a local WordPress with a page holding the block,
 * serves it, and prints where to go. Ctrl-C stops everything.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadConfig, loadDotEnv } from "../server/config.ts";
import { PROVIDER_IDS } from "../server/providers/types.ts";
import { startGateway } from "../server/serve.ts";
import { provisionWordPress, startWordPress } from "./wordpress/index.ts";

const SITE_ID = "local";
const CHAT_BLOCK = `<!-- wp:sluice/chat {"blockId":"welcome-chat","title":"Ask Sluice","systemPrompt":"You are a friendly assistant on a WordPress site. Answer briefly."} /-->`;

loadDotEnv();
const config = loadConfig();
const gateway = await startGateway(config);
const secret = gateway.services.sites.secretFor(SITE_ID) ?? gateway.services.sites.add(SITE_ID);

if (!existsSync("plugin/build/chat/block.json")) {
  console.log("Building the Chat block (npm run build)…");
  const build = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
  if (build.status !== 0) {
    await gateway.close();
    throw new Error("npm run build failed");
  }
}

const site = await provisionWordPress({
  gatewayUrl: gateway.url,
  siteId: SITE_ID,
  siteSecret: secret,
  pageContent: CHAT_BLOCK,
  requirePlugin: true,
});
const wordpress = await startWordPress({ dir: site.dir });
const configured = PROVIDER_IDS.filter(
  (id) => id !== "demo" && gateway.services.registry.isConfigured(id),
);

console.log(`
Sluice is running.

  Chat page:   ${site.pageUrl}
  WordPress:   ${wordpress.url}/wp-admin/  (user ${site.adminUser}, password ${site.adminPassword})
  Settings:    ${wordpress.url}/wp-admin/options-general.php?page=sluice
  Gateway:     ${gateway.url}  (site "${SITE_ID}", ledger ${config.dbPath})
  Providers:   ${configured.length > 0 ? configured.join(", ") : "demo only (set SLUICE_OPENAI_API_KEY or another key for a real model)"}

Press Ctrl-C to stop.
`);

const stop = async () => {
  await wordpress.stop();
  await gateway.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
