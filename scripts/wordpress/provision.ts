import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { newSecret } from "../../server/ledger/sites.ts";
import { type CoreSuite, defaultCoreSuite } from "./apt-sources.ts";
import { ensureWordPressCore } from "./core.ts";
import { copyTree, removeTree } from "./files.ts";
import { type InstallConfig, runInstallPhase } from "./install-phases.ts";
import { type Logger, printLine, seconds, timedStep } from "./log.ts";
import {
  defaultCacheDir,
  defaultPluginSource,
  defaultPort,
  defaultSiteDir,
  phpDir,
  privateDir,
} from "./paths.ts";
import { checkPhp } from "./php-check.ts";
import { findMainPluginFile } from "./plugin-source.ts";
import { readRunning, stopWordPress } from "./server.ts";
import { readSiteState, type SiteState, writeSiteState } from "./site-state.ts";
import { ensureSqlitePlugin } from "./sqlite-plugin.ts";
import {
  type DatabaseSettings,
  generateSalts,
  phpString,
  renderWpConfig,
  sqliteDatabase,
} from "./wp-config.ts";

export const pluginSlug = "sluice";
const sqliteSlug = "sqlite-database-integration";

export interface ProvisionOptions {
  /** Site directory, also the web server's document root. Default: .cache/wp-site. */
  dir?: string;
  /** Downloaded core and SQLite plugin, reused across runs. Default: .cache. */
  cacheDir?: string;
  /** Port of the site URL, http://127.0.0.1:PORT. Default 8881. Ignored when siteUrl is given. */
  port?: number;
  /** Full site URL, e.g. http://127.0.0.1:9000. */
  siteUrl?: string;
  /** Site title. Default "Sluice (local)". */
  title?: string;
  /** Default "admin". */
  adminUser?: string;
  /** Default: the previous provision's, else a generated one (returned). */
  adminPassword?: string;
  /** Default admin@example.com. */
  adminEmail?: string;
  /** Plugin folder copied to wp-content/plugins/sluice and activated. Default: the repo's plugin/. */
  pluginSource?: string;
  /** Fail when pluginSource has no main plugin file, instead of going on without it. */
  requirePlugin?: boolean;
  /** SLUICE_GATEWAY_URL. Default: the previous provision's, else http://127.0.0.1:$SLUICE_PORT (8787). */
  gatewayUrl?: string;
  /** SLUICE_SITE_ID. Default "local". */
  siteId?: string;
  /** SLUICE_SITE_SECRET. Default: the previous provision's, else a generated one (returned). */
  siteSecret?: string;
  /** Title of the published page. Default "Chat with Sluice". */
  pageTitle?: string;
  /** Slug of the published page. Default "chat". */
  pageSlug?: string;
  /** Content of the page. Default: the Chat block, <!-- wp:sluice/chat /-->. */
  pageContent?: string;
  /** The Debian release WordPress core comes from. Default trixie (6.8). */
  coreSuite?: CoreSuite;
  /**
   * The database. Default SQLite (the drop-in). A MySQL/MariaDB server must be up
   * while the site is provisioned; wiping its data is up to whoever runs it.
   */
  database?: DatabaseSettings;
  /** Wipe the site directory first (the caches are kept). Default false: update in place. */
  fresh?: boolean;
  /** Progress lines. Default: printed to stdout. */
  log?: Logger;
}

export interface ProvisionedSite {
  dir: string;
  siteUrl: string;
  adminUser: string;
  adminPassword: string;
  pageUrl: string;
  pageId: number;
  gatewayUrl: string;
  siteId: string;
  siteSecret: string;
  /** PHP's log (WP_DEBUG_LOG); warnings and notices land here. */
  debugLog: string;
  wordPressVersion: string;
  /** The active Sluice plugin, e.g. "sluice/sluice.php", or null when there was none to copy. */
  pluginFile: string | null;
}

function defaultGatewayUrl(): string {
  return `http://127.0.0.1:${process.env.SLUICE_PORT || "8787"}`;
}

function generateSecret(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}

/**
 * Builds (or updates) a ready WordPress site with its database (SQLite, or a running
 * MariaDB), the Sluice plugin and a chat page.
 */
export async function provisionWordPress(options: ProvisionOptions = {}): Promise<ProvisionedSite> {
  const log = options.log ?? printLine;
  const started = performance.now();
  const dir = path.resolve(options.dir ?? defaultSiteDir);
  const cacheDir = path.resolve(options.cacheDir ?? defaultCacheDir);
  const pluginSource = path.resolve(options.pluginSource ?? defaultPluginSource);

  const database = options.database ?? sqliteDatabase;
  const phpVersion = await checkPhp(database.kind);
  log(`PHP ${phpVersion}`);

  const running = readRunning(dir);
  if (running) {
    log(`Stopping the server that serves ${dir} (pid ${running.pid}, ${running.url})`);
    await stopWordPress(dir);
  }
  if (options.fresh && existsSync(dir)) {
    log(`Wiping ${dir} (fresh site; caches kept)`);
    await removeTree(dir);
  }
  const previous = readSiteState(dir);
  const siteUrl = (
    options.siteUrl ??
    (options.port !== undefined ? `http://127.0.0.1:${options.port}` : undefined) ??
    previous?.siteUrl ??
    `http://127.0.0.1:${defaultPort}`
  ).replace(/\/+$/, "");
  const state: SiteState = {
    siteUrl,
    adminUser: options.adminUser ?? previous?.adminUser ?? "admin",
    adminPassword: options.adminPassword ?? previous?.adminPassword ?? generateSecret(12),
    adminEmail: options.adminEmail ?? previous?.adminEmail ?? "admin@example.com",
    salts: previous?.salts ?? generateSalts(),
    gatewayUrl: (options.gatewayUrl ?? previous?.gatewayUrl ?? defaultGatewayUrl()).replace(
      /\/+$/,
      "",
    ),
    siteId: options.siteId ?? previous?.siteId ?? "local",
    // The gateway's own generator: the secret may be passed to its CLI.
    siteSecret: options.siteSecret ?? previous?.siteSecret ?? newSecret(),
    pageUrl: "",
    wordPressVersion: "",
    pluginFile: null,
    database,
  };

  const core = await ensureWordPressCore(cacheDir, log, options.coreSuite ?? defaultCoreSuite);
  const sqlite = database.kind === "sqlite" ? await ensureSqlitePlugin(cacheDir, log) : undefined;

  const installedBefore = previous !== undefined && existsSync(path.join(dir, "wp-settings.php"));
  if (!installedBefore || previous?.wordPressVersion !== core.version) {
    await timedStep(log, `Copying WordPress ${core.version} into ${dir}`, async () => {
      await copyTree(core.dir, dir);
    });
  }
  state.wordPressVersion = core.version;
  mkdirSync(privateDir(dir), { recursive: true, mode: 0o700 });

  if (sqlite) installSqlite(dir, sqlite.dir);
  else removeSqlite(dir);
  writeFileSync(path.join(dir, "wp-config.php"), renderWpConfig(state), { mode: 0o600 });
  const muPlugins = path.join(dir, "wp-content", "mu-plugins");
  mkdirSync(muPlugins, { recursive: true });
  copyFileSync(
    path.join(phpDir, "offline-mu-plugin.php"),
    path.join(muPlugins, "sluice-local-offline.php"),
  );
  state.pluginFile = copyPlugin(pluginSource, dir, options.requirePlugin ?? false, log);

  const debugLog = path.join(dir, "wp-content", "debug.log");
  const logSizeBefore = existsSync(debugLog) ? statSync(debugLog).size : 0;
  const config: InstallConfig = {
    siteDir: dir,
    siteUrl,
    title: options.title ?? "Sluice (local)",
    adminUser: state.adminUser,
    adminPassword: state.adminPassword,
    adminEmail: state.adminEmail,
    plugins: [
      ...(sqlite ? [{ file: `${sqliteSlug}/load.php`, silent: true }] : []),
      ...(state.pluginFile ? [{ file: state.pluginFile, silent: false }] : []),
    ],
    page: {
      title: options.pageTitle ?? "Chat with Sluice",
      slug: options.pageSlug ?? "chat",
      content: options.pageContent ?? "<!-- wp:sluice/chat /-->",
    },
  };
  const databaseName = database.kind === "sqlite" ? "SQLite" : `MariaDB at ${database.host}`;
  const installed = await timedStep(log, `Installing WordPress (${databaseName})`, () =>
    runInstallPhase("install", config, debugLog),
  );
  log(installed.installedNow ? "Created the database and the admin user" : "Database present");
  const activated = await runInstallPhase("activate", config, debugLog);
  log(`Active plugins: ${(activated.activated as string[]).join(", ")}`);
  const content = await runInstallPhase("content", config, debugLog);
  state.pageUrl = String(content.pageUrl);
  writeSiteState(dir, state);

  reportNewLogLines(debugLog, logSizeBefore, log);
  log(`Site ready in ${seconds(performance.now() - started)}: ${siteUrl} (page ${state.pageUrl})`);
  return {
    dir,
    siteUrl,
    adminUser: state.adminUser,
    adminPassword: state.adminPassword,
    pageUrl: state.pageUrl,
    pageId: Number(content.pageId),
    gatewayUrl: state.gatewayUrl,
    siteId: state.siteId,
    siteSecret: state.siteSecret,
    debugLog,
    wordPressVersion: core.version,
    pluginFile: state.pluginFile,
  };
}

/** The plugin folder plus the db.php drop-in with its two placeholders filled in. */
function installSqlite(siteDir: string, cachedPlugin: string): void {
  const target = path.join(siteDir, "wp-content", "plugins", sqliteSlug);
  rmSync(target, { recursive: true, force: true });
  cpSync(cachedPlugin, target, { recursive: true });
  const dropIn = readFileSync(path.join(target, "db.copy"), "utf8")
    .replaceAll("'{SQLITE_IMPLEMENTATION_FOLDER_PATH}'", phpString(target))
    .replaceAll("{SQLITE_PLUGIN}", `${sqliteSlug}/load.php`);
  writeFileSync(path.join(siteDir, "wp-content", "db.php"), dropIn);
}

/** A site moved from SQLite to MariaDB loses the drop-in, which would win over DB_HOST. */
function removeSqlite(siteDir: string): void {
  rmSync(path.join(siteDir, "wp-content", "db.php"), { force: true });
  rmSync(path.join(siteDir, "wp-content", "plugins", sqliteSlug), { recursive: true, force: true });
}

/**
 * Copies (never symlinks: WordPress then computes wrong asset URLs) the plugin into
 * wp-content/plugins/sluice. Returns the plugin file to activate, or null when the
 * source has no plugin yet.
 */
function copyPlugin(
  pluginSource: string,
  siteDir: string,
  requirePlugin: boolean,
  log: Logger,
): string | null {
  const target = path.join(siteDir, "wp-content", "plugins", pluginSlug);
  rmSync(target, { recursive: true, force: true });
  const mainFile = findMainPluginFile(pluginSource);
  if (!mainFile) {
    const message = `No WordPress plugin in ${pluginSource} (no top-level PHP file with a "Plugin Name:" header)`;
    if (requirePlugin) throw new Error(message);
    log(`${message}: the site is set up without the Sluice plugin`);
    return null;
  }
  cpSync(pluginSource, target, {
    recursive: true,
    filter: (source) =>
      !/(^|\/)(node_modules|\.git)(\/|$)/.test(path.relative(pluginSource, source)),
  });
  log(`Copied the plugin ${pluginSource} → wp-content/plugins/${pluginSlug}`);
  return `${pluginSlug}/${mainFile}`;
}

function reportNewLogLines(debugLog: string, sizeBefore: number, log: Logger): void {
  if (!existsSync(debugLog)) return;
  const added = readFileSync(debugLog).subarray(sizeBefore).toString("utf8").trim();
  if (!added) return;
  log(`PHP logged this while provisioning (${debugLog}):`);
  for (const line of added.split("\n").slice(0, 40)) log(`  ${line}`);
}
