/**
 * A local WordPress for humans:
 *
 *   node --import tsx scripts/wordpress/cli.ts provision [--fresh] [--port N] [--plugin DIR]
 *       [--gateway URL] [--site-id ID] [--secret S] [--admin-password P] [--dir DIR]
 *   node --import tsx scripts/wordpress/cli.ts start [--port N] [--workers N] [--dir DIR]
 *   node --import tsx scripts/wordpress/cli.ts serve [--port N] [--workers N] [--dir DIR]
 *   node --import tsx scripts/wordpress/cli.ts stop [--dir DIR]
 *   node --import tsx scripts/wordpress/cli.ts status [--dir DIR]
 *
 * Each command also takes `--stack production`: WordPress 7.1 on MariaDB and PHP-FPM
 * behind nginx with docs/deploy/nginx.conf (production/cli-commands.ts).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { defaultSiteDir } from "./paths.ts";
import { productionUsage, runProductionCommand } from "./production/cli-commands.ts";
import { defaultStackDir } from "./production/layout.ts";
import { provisionWordPress } from "./provision.ts";
import { readRunning, serverLogFile, startWordPress, stopWordPress } from "./server.ts";
import { readSiteState } from "./site-state.ts";

const usage = `usage: node --import tsx scripts/wordpress/cli.ts <command> [options]

commands:
  provision   build or update the local site (downloads WordPress the first time)
  start       serve it in the background with PHP's built-in server
  serve       serve it in the foreground until Ctrl-C or SIGTERM (for Playwright's webServer)
  stop        stop that server
  status      print the site's URLs, login and whether it is served

options:
  --stack S             php-s (default: php -S + SQLite, WordPress 6.8) or production
  --dir DIR             site directory (default .cache/wp-site; production: .cache/wp-production)
  --fresh               provision: wipe the site first (downloads stay cached)
  --port N              provision: site port (default 8881); start, serve: port to serve on
  --plugin DIR          provision: plugin folder to install (default plugin/)
  --gateway URL         provision: SLUICE_GATEWAY_URL (default http://127.0.0.1:8787)
  --site-id ID          provision: SLUICE_SITE_ID (default local)
  --secret S            provision: SLUICE_SITE_SECRET (default generated once)
  --admin-password P    provision: admin password (default generated once)
  --workers N           start, serve: PHP_CLI_SERVER_WORKERS (default 4)

${productionUsage}`;

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new Error(`--${name} needs a positive integer`);
  return parsed;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: "string" },
      fresh: { type: "boolean" },
      port: { type: "string" },
      plugin: { type: "string" },
      gateway: { type: "string" },
      "site-id": { type: "string" },
      secret: { type: "string" },
      "admin-password": { type: "string" },
      workers: { type: "string" },
      stack: { type: "string" },
      "php-fpm-port": { type: "string" },
      "mariadb-port": { type: "string" },
      "max-children": { type: "string" },
      "nginx-variant": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(usage);
    return command || values.help ? 0 : 2;
  }
  if (values.stack === "production") {
    const code = await runProductionCommand(command, {
      dir: path.resolve(values.dir ?? defaultStackDir),
      fresh: values.fresh,
      port: integer(values.port, "port"),
      phpFpmPort: integer(values["php-fpm-port"], "php-fpm-port"),
      mariadbPort: integer(values["mariadb-port"], "mariadb-port"),
      maxChildren: integer(values["max-children"], "max-children"),
      nginxVariant: values["nginx-variant"],
      plugin: values.plugin,
      gateway: values.gateway,
      siteId: values["site-id"],
      secret: values.secret,
      adminPassword: values["admin-password"],
    });
    if (code >= 0) return code;
    console.error(`unknown command: ${command}\n\n${usage}`);
    return 2;
  }
  if (values.stack !== undefined && values.stack !== "php-s") {
    console.error(`--stack must be php-s or production\n\n${usage}`);
    return 2;
  }
  const dir = path.resolve(values.dir ?? defaultSiteDir);
  switch (command) {
    case "provision": {
      const site = await provisionWordPress({
        dir,
        fresh: values.fresh ?? false,
        port: integer(values.port, "port"),
        pluginSource: values.plugin,
        gatewayUrl: values.gateway,
        siteId: values["site-id"],
        siteSecret: values.secret,
        adminPassword: values["admin-password"],
      });
      printSite(dir);
      console.log(`\nServe it with: node --import tsx scripts/wordpress/cli.ts start`);
      return site.pageUrl ? 0 : 1;
    }
    case "start": {
      const server = await startWordPress({
        dir,
        port: integer(values.port, "port"),
        workers: integer(values.workers, "workers"),
      });
      console.log(`Serving ${server.url} (pid ${server.pid}); log: ${server.serverLog}`);
      console.log(`Stop it with: node --import tsx scripts/wordpress/cli.ts stop`);
      return 0;
    }
    case "serve": {
      const server = await startWordPress({
        dir,
        port: integer(values.port, "port"),
        workers: integer(values.workers, "workers"),
      });
      console.log(
        `Serving ${server.url} until Ctrl-C (pid ${server.pid}); log: ${server.serverLog}`,
      );
      return await new Promise<number>((resolve) => {
        const watch = setInterval(() => {
          if (readRunning(dir)) return;
          clearInterval(watch);
          console.error(`error: the PHP server stopped; see ${server.serverLog}`);
          resolve(1);
        }, 1000);
        const shutdown = () => {
          clearInterval(watch);
          server.stop().then(() => resolve(0));
        };
        process.once("SIGINT", shutdown);
        process.once("SIGTERM", shutdown);
      });
    }
    case "stop": {
      const stopped = await stopWordPress(dir);
      console.log(stopped ? `Stopped the server of ${dir}` : `No server is running for ${dir}`);
      return 0;
    }
    case "status":
      return printSite(dir) ? 0 : 1;
    default:
      console.error(`unknown command: ${command}\n\n${usage}`);
      return 2;
  }
}

function printSite(dir: string): boolean {
  const state = readSiteState(dir);
  if (!state) {
    console.log(`No site provisioned in ${dir}`);
    return false;
  }
  const running = readRunning(dir);
  console.log(
    [
      `Site:       ${state.siteUrl}  (WordPress ${state.wordPressVersion}, ${dir})`,
      `Chat page:  ${state.pageUrl}`,
      `Admin:      ${state.siteUrl}/wp-admin/  user ${state.adminUser}  password ${state.adminPassword}`,
      `Plugin:     ${state.pluginFile ?? "none installed"}`,
      `Gateway:    ${state.gatewayUrl}  (site id ${state.siteId})`,
      `PHP log:    ${path.join(dir, "wp-content", "debug.log")}`,
      running
        ? `Server:     running at ${running.url} (pid ${running.pid}); log ${serverLogFile(dir)}`
        : "Server:     not running",
    ].join("\n"),
  );
  return true;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
