import path from "node:path";
import { readSiteState } from "../site-state.ts";
import { readDaemon } from "./daemons.ts";
import { readStackSettings, readStartedSettings, stackLayout } from "./layout.ts";
import { mariadbName } from "./mariadb.ts";
import { type NginxVariant, nginxInstance, nginxVariantNames, nginxVariants } from "./nginx.ts";
import { phpFpmName } from "./php-fpm.ts";
import {
  provisionProductionStack,
  runningDaemons,
  startProductionStack,
  stopProductionStack,
} from "./stack.ts";

/** What cli.ts parsed, for `--stack production`. */
export interface ProductionCliValues {
  dir: string;
  fresh?: boolean;
  port?: number;
  phpFpmPort?: number;
  mariadbPort?: number;
  maxChildren?: number;
  nginxVariant?: string;
  plugin?: string;
  gateway?: string;
  siteId?: string;
  secret?: string;
  adminPassword?: string;
}

export const productionUsage = `--stack production: WordPress 7.1 (Debian forky) on MariaDB and PHP-FPM behind
nginx serving docs/deploy/nginx.conf, each on 127.0.0.1 with its files in DIR
(default .cache/wp-production); needs \`bash scripts/install-system-deps.sh\`.
  --port N              provision: nginx's port, the site URL's (default 8891)
  --php-fpm-port N      provision: PHP-FPM's port (default 9891)
  --mariadb-port N      provision: MariaDB's port (default 3391)
  --max-children N      provision, start, serve: PHP-FPM pm.max_children (default 5)
  --nginx-variant V     provision, start, serve: ${nginxVariantNames.join(" | ")} (default shipped)`;

function variant(value: string | undefined): NginxVariant | undefined {
  if (value === undefined) return undefined;
  if ((nginxVariantNames as string[]).includes(value)) return value as NginxVariant;
  throw new Error(`--nginx-variant must be one of ${nginxVariantNames.join(", ")}`);
}

export async function runProductionCommand(
  command: string,
  values: ProductionCliValues,
): Promise<number> {
  const cli = "node --import tsx scripts/wordpress/cli.ts";
  switch (command) {
    case "provision": {
      const site = await provisionProductionStack({
        dir: values.dir,
        fresh: values.fresh ?? false,
        port: values.port,
        phpFpmPort: values.phpFpmPort,
        mariadbPort: values.mariadbPort,
        maxChildren: values.maxChildren,
        nginxVariant: variant(values.nginxVariant),
        pluginSource: values.plugin,
        gatewayUrl: values.gateway,
        siteId: values.siteId,
        siteSecret: values.secret,
        adminPassword: values.adminPassword,
      });
      printProductionStatus(values.dir);
      console.log(`\nServe it with: ${cli} start --stack production`);
      return site.pageUrl ? 0 : 1;
    }
    case "start":
    case "serve": {
      const stack = await startProductionStack({
        dir: values.dir,
        port: values.port,
        maxChildren: values.maxChildren,
        nginxVariant: variant(values.nginxVariant),
      });
      if (command === "start") {
        console.log(`Serving ${stack.url}; logs in ${stack.layout.logDir}`);
        console.log(`Stop it with: ${cli} stop --stack production`);
        return 0;
      }
      console.log(`Serving ${stack.url} until Ctrl-C; logs in ${stack.layout.logDir}`);
      return await new Promise<number>((resolve) => {
        const names = stack.daemons.map((daemon) => daemon.name);
        const watch = setInterval(() => {
          const gone = names.filter((name) => !readDaemon(stack.layout.runDir, name));
          if (gone.length === 0) return;
          clearInterval(watch);
          console.error(`error: ${gone.join(", ")} stopped; see ${stack.layout.logDir}`);
          stack.stop().then(() => resolve(1));
        }, 1000);
        const shutdown = () => {
          clearInterval(watch);
          stack.stop().then(() => resolve(0));
        };
        process.once("SIGINT", shutdown);
        process.once("SIGTERM", shutdown);
      });
    }
    case "stop": {
      const stopped = await stopProductionStack(values.dir);
      console.log(
        stopped.length > 0
          ? `Stopped ${stopped.join(", ")} of ${values.dir}`
          : `Nothing of ${values.dir} was running`,
      );
      return 0;
    }
    case "status":
      return printProductionStatus(values.dir) ? 0 : 1;
    default:
      return -1;
  }
}

function printProductionStatus(dir: string): boolean {
  const layout = stackLayout(dir);
  const provisioned = readStackSettings(layout);
  const state = readSiteState(layout.siteDir);
  if (!provisioned || !state) {
    console.log(`No production stack provisioned in ${dir}`);
    return false;
  }
  const running = new Set(runningDaemons(dir));
  // While it runs, what start was told; else what the next start will use.
  const settings = (running.size > 0 && readStartedSettings(layout)) || provisioned;
  const status = (name: string) => (running.has(name) ? "running" : "not running");
  const nginx = nginxInstance(layout, settings.ports.nginx, settings.nginxVariant);
  console.log(
    [
      `Site:       ${state.siteUrl}  (WordPress ${state.wordPressVersion}, ${layout.siteDir})`,
      `Chat page:  ${state.pageUrl}`,
      `Admin:      ${state.siteUrl}/wp-admin/  user ${state.adminUser}  password ${state.adminPassword}`,
      `Plugin:     ${state.pluginFile ?? "none installed"}`,
      `Gateway:    ${state.gatewayUrl}  (site id ${state.siteId}; nginx proxies /sluice-gateway/ to it)`,
      `nginx:      127.0.0.1:${settings.ports.nginx}, ${nginxVariants[settings.nginxVariant].description} (${path.relative(process.cwd(), nginx.siteConf)}): ${status(nginx.name)}`,
      `PHP-FPM:    127.0.0.1:${settings.ports.phpFpm}, pm.max_children = ${settings.maxChildren}: ${status(phpFpmName)}`,
      `MariaDB:    127.0.0.1:${settings.ports.mariadb}, database ${settings.database.name}, user ${settings.database.user}: ${status(mariadbName)}`,
      `Logs:       ${layout.logDir}  (PHP: ${path.join(layout.siteDir, "wp-content", "debug.log")})`,
    ].join("\n"),
  );
  return true;
}
