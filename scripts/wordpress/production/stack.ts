import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { removeTree } from "../files.ts";
import { type Logger, printLine, seconds } from "../log.ts";
import { type ProvisionedSite, type ProvisionOptions, provisionWordPress } from "../provision.ts";
import { readSiteState } from "../site-state.ts";
import { type ApacheVariant, apacheInstance, apacheVariants, startApache } from "./apache.ts";
import { type RunningDaemon, readDaemon, stopDaemon } from "./daemons.ts";
import {
  createLayout,
  defaultDatabase,
  defaultMaxChildren,
  defaultStackDir,
  defaultStackPorts,
  newDatabasePassword,
  readStackSettings,
  type StackLayout,
  type StackSettings,
  stackLayout,
  writeStackSettings,
  writeStartedSettings,
} from "./layout.ts";
import { ensureDatabase, initMariadb, mariadbName, startMariadb } from "./mariadb.ts";
import { type NginxVariant, nginxInstance, nginxVariants, startNginx } from "./nginx.ts";
import { phpFpmName, startPhpFpm, ticketsSocket } from "./php-fpm.ts";
import { findStackTools, type StackTools } from "./tools.ts";

/** The Debian release of the production stack's WordPress (7.1). */
export const productionCoreSuite = "forky";

export interface ProductionProvisionOptions
  extends Omit<ProvisionOptions, "dir" | "port" | "siteUrl" | "coreSuite" | "database"> {
  /** The stack's folder. Default .cache/wp-production. */
  dir?: string;
  /** nginx's port, in the site URL. Default 8891. */
  port?: number;
  /** PHP-FPM's port. Default 9891. */
  phpFpmPort?: number;
  /** MariaDB's port. Default 3391. */
  mariadbPort?: number;
  /** PHP-FPM's pm.max_children. Default 5. */
  maxChildren?: number;
  /** What nginx serves. Default the shipped docs/deploy/nginx.conf. */
  nginxVariant?: NginxVariant;
}

export interface ProvisionedStack extends ProvisionedSite {
  stackDir: string;
  settings: StackSettings;
}

/**
 * Builds (or updates) the production stack: a MariaDB datadir with the site's
 * database, WordPress 7.1 from Debian forky on it, the plugin and the chat page.
 * MariaDB runs only while this provisions, unless the stack was already running.
 */
export async function provisionProductionStack(
  options: ProductionProvisionOptions = {},
): Promise<ProvisionedStack> {
  const log = options.log ?? printLine;
  const started = performance.now();
  const tools = await findStackTools();
  const layout = stackLayout(options.dir ?? defaultStackDir);
  if (options.fresh && existsSync(layout.root)) {
    await stopProductionStack(layout.root);
    log(`Wiping ${layout.root} (fresh stack; caches kept)`);
    await removeTree(layout.root);
  }
  createLayout(layout);
  const previous = readStackSettings(layout);
  const settings: StackSettings = {
    ports: {
      nginx: options.port ?? previous?.ports.nginx ?? defaultStackPorts.nginx,
      phpFpm: options.phpFpmPort ?? previous?.ports.phpFpm ?? defaultStackPorts.phpFpm,
      mariadb: options.mariadbPort ?? previous?.ports.mariadb ?? defaultStackPorts.mariadb,
    },
    maxChildren: options.maxChildren ?? previous?.maxChildren ?? defaultMaxChildren,
    nginxVariant: options.nginxVariant ?? previous?.nginxVariant ?? "shipped",
    database: previous?.database ?? { ...defaultDatabase, password: newDatabasePassword() },
  };

  await initMariadb(tools, layout, log);
  const runningBefore = readDaemon(layout.runDir, mariadbName);
  if (runningBefore && previous && previous.ports.mariadb !== settings.ports.mariadb) {
    throw new Error(
      `MariaDB of ${layout.root} runs on port ${previous.ports.mariadb}: stop the stack before changing its port`,
    );
  }
  const mariadb = runningBefore
    ? undefined
    : // Tied: a provision that fails half-way leaves no server behind.
      await startMariadb(tools, layout, settings.ports.mariadb, true);
  let site: ProvisionedSite;
  try {
    await ensureDatabase(tools, layout, settings.database);
    writeStackSettings(layout, settings);
    const { phpFpmPort, mariadbPort, maxChildren, nginxVariant, port, ...siteOptions } = options;
    site = await provisionWordPress({
      ...siteOptions,
      log,
      dir: layout.siteDir,
      siteUrl: `http://127.0.0.1:${settings.ports.nginx}`,
      coreSuite: productionCoreSuite,
      database: {
        kind: "mysql",
        host: `127.0.0.1:${settings.ports.mariadb}`,
        ...settings.database,
      },
      // The stack was wiped above when asked; the database keeps the site otherwise.
      fresh: false,
    });
  } finally {
    await mariadb?.stop();
  }
  log(`Production stack ready in ${seconds(performance.now() - started)}: ${layout.root}`);
  return { ...site, stackDir: layout.root, settings };
}

export interface StartStackOptions {
  dir?: string;
  /** nginx's port. Default: the provisioned one. */
  port?: number;
  maxChildren?: number;
  nginxVariant?: NginxVariant;
  /**
   * What serves the site on its port: nginx (the default, `nginxVariant` of it) or
   * Apache with docs/deploy/apache.conf as shipped (apache.ts).
   */
  webServer?: "nginx" | "apache";
  /** Stop the daemons when this process ends (tests). Default false: they outlive it. */
  tiedToThisProcess?: boolean;
  log?: Logger;
}

export interface RunningStack {
  url: string;
  layout: StackLayout;
  settings: StackSettings;
  tools: StackTools;
  daemons: RunningDaemon[];
  /** Serves the same site through one more nginx, e.g. a variant on another port. */
  addNginx(port: number, variant: NginxVariant): Promise<{ url: string; stop(): Promise<void> }>;
  /** Serves the same site through an Apache with docs/deploy/apache.conf (apache.ts). */
  addApache(port: number, variant: ApacheVariant): Promise<{ url: string; stop(): Promise<void> }>;
  /** Stops every daemon started for the stack (the added nginx servers too). */
  stop(): Promise<void>;
}

/** Starts MariaDB, PHP-FPM and nginx for a provisioned stack; resolves once WordPress answers. */
export async function startProductionStack(options: StartStackOptions = {}): Promise<RunningStack> {
  const log = options.log ?? printLine;
  const started = performance.now();
  const tools = await findStackTools();
  const layout = stackLayout(options.dir ?? defaultStackDir);
  const provisioned = readStackSettings(layout);
  const state = readSiteState(layout.siteDir);
  if (!provisioned || !state) {
    throw new Error(`No provisioned production stack in ${layout.root}: run provision first`);
  }
  if (options.port !== undefined && options.port !== provisioned.ports.nginx) {
    throw new Error(
      `The site of ${layout.root} is at port ${provisioned.ports.nginx} (WordPress keeps its URL): provision it with --port ${options.port}`,
    );
  }
  const settings: StackSettings = {
    ...provisioned,
    maxChildren: options.maxChildren ?? provisioned.maxChildren,
    nginxVariant: options.nginxVariant ?? provisioned.nginxVariant,
  };
  const daemons: RunningDaemon[] = [];
  const tied = options.tiedToThisProcess ?? false;
  const gateway = new URL(state.gatewayUrl);
  const siteSettings = {
    root: layout.siteDir,
    phpFpm: `127.0.0.1:${settings.ports.phpFpm}`,
    phpFpmTickets: `unix:${ticketsSocket(layout)}`,
    gateway: `${gateway.hostname}:${gateway.port || (gateway.protocol === "https:" ? 443 : 80)}`,
  };
  const stopAll = async () => {
    for (const daemon of [...daemons].reverse()) await daemon.stop();
    daemons.length = 0;
  };
  const added = (daemon: RunningDaemon, port: number) => {
    daemons.push(daemon);
    return {
      url: `http://127.0.0.1:${port}`,
      stop: async () => {
        await daemon.stop();
        daemons.splice(daemons.indexOf(daemon), 1);
      },
    };
  };
  const addNginx = async (port: number, variant: NginxVariant) => {
    const instance = nginxInstance(layout, port, variant);
    const site = { ...siteSettings, listen: `127.0.0.1:${port}` };
    return added(await startNginx(tools, layout, instance, site, tied), port);
  };
  const addApache = async (port: number, variant: ApacheVariant) => {
    const instance = apacheInstance(layout, port, variant);
    return added(await startApache(layout, instance, siteSettings, tied), port);
  };
  try {
    daemons.push(await startMariadb(tools, layout, settings.ports.mariadb, tied));
    daemons.push(
      await startPhpFpm(
        tools,
        layout,
        { port: settings.ports.phpFpm, maxChildren: settings.maxChildren },
        tied,
      ),
    );
    const apache = options.webServer === "apache";
    const { url } = apache
      ? await addApache(settings.ports.nginx, "shipped")
      : await addNginx(settings.ports.nginx, settings.nginxVariant);
    await waitForWordPress(url, layout);
    // Options of this start only: the provisioned settings stay the defaults.
    writeStartedSettings(layout, settings);
    log(
      `WordPress ${state.wordPressVersion} is up at ${url} in ${seconds(performance.now() - started)} (${apache ? `Apache: ${apacheVariants.shipped.description}` : `nginx: ${nginxVariants[settings.nginxVariant].description}`}; PHP-FPM pm.max_children = ${settings.maxChildren}, tickets pool: docs/deploy/php-fpm-tickets.conf; MariaDB on port ${settings.ports.mariadb})`,
    );
    return { url, layout, settings, tools, daemons, addNginx, addApache, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function waitForWordPress(url: string, layout: StackLayout): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/wp-login.php`, {
        redirect: "manual",
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      if (response.status < 500) return;
      throw new Error(
        `WordPress answered ${url}/wp-login.php with HTTP ${response.status}; see ${layout.logDir} and ${path.join(layout.siteDir, "wp-content", "debug.log")}`,
      );
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("WordPress answered")) throw error;
      if (Date.now() > deadline) throw new Error(`WordPress did not answer at ${url} in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The daemons of a stack that run now, by record name. */
export function runningDaemons(dir = defaultStackDir): string[] {
  const layout = stackLayout(dir);
  const settings = readStackSettings(layout);
  if (!settings || !existsSync(layout.runDir)) return [];
  const names = [mariadbName, phpFpmName, ...webServerRecordNames(layout)];
  return names.filter((name) => readDaemon(layout.runDir, name) !== undefined);
}

/** The stack's nginx and Apache servers (nginx-PORT, apache-PORT). */
function webServerRecordNames(layout: StackLayout): string[] {
  return readdirSync(layout.runDir)
    .filter((file) => /^(nginx|apache)-\d+\.json$/.test(file))
    .map((file) => file.slice(0, -".json".length));
}

/** Stops whatever of the stack runs (the web servers first, MariaDB last). Returns what it stopped. */
export async function stopProductionStack(dir = defaultStackDir): Promise<string[]> {
  const layout = stackLayout(dir);
  if (!existsSync(layout.runDir)) return [];
  const stopped: string[] = [];
  for (const name of [...webServerRecordNames(layout), phpFpmName, mariadbName]) {
    if (await stopDaemon(layout.runDir, name, name === mariadbName ? 30_000 : 10_000)) {
      stopped.push(name);
    }
  }
  return stopped;
}
