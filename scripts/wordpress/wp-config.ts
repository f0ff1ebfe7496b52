import { randomInt } from "node:crypto";

export const saltNames = [
  "AUTH_KEY",
  "SECURE_AUTH_KEY",
  "LOGGED_IN_KEY",
  "NONCE_KEY",
  "AUTH_SALT",
  "SECURE_AUTH_SALT",
  "LOGGED_IN_SALT",
  "NONCE_SALT",
] as const;

export type Salts = Record<(typeof saltNames)[number], string>;

/** Where WordPress keeps its tables: SQLite through the drop-in, or a MySQL/MariaDB server. */
export type DatabaseSettings =
  | { kind: "sqlite" }
  | {
      kind: "mysql";
      /** DB_HOST: "host:port", or "localhost:/path/to/socket". */
      host: string;
      name: string;
      user: string;
      password: string;
    };

export const sqliteDatabase: DatabaseSettings = { kind: "sqlite" };

export interface WpConfigSettings {
  siteUrl: string;
  salts: Salts;
  gatewayUrl: string;
  siteId: string;
  siteSecret: string;
  /** Default: SQLite. */
  database?: DatabaseSettings;
}

/** Environment variable that moves a provisioned site to another URL (e.g. another port). */
export const siteUrlVariable = "SLUICE_WP_URL";

const saltAlphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~";

/** Fresh random keys and salts, 64 characters each, from a CSPRNG. */
export function generateSalts(): Salts {
  const salts = {} as Salts;
  for (const name of saltNames) {
    let value = "";
    for (let index = 0; index < 64; index++) value += saltAlphabet[randomInt(saltAlphabet.length)];
    salts[name] = value;
  }
  return salts;
}

/** A PHP single-quoted string literal. */
export function phpString(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

function define(name: string, value: string | boolean): string {
  const literal = typeof value === "boolean" ? String(value) : phpString(value);
  return `define( ${phpString(name)}, ${literal} );`;
}

function databaseSection(database: DatabaseSettings): string {
  if (database.kind === "mysql") {
    return `// Database: MySQL/MariaDB.
${define("DB_NAME", database.name)}
${define("DB_USER", database.user)}
${define("DB_PASSWORD", database.password)}
${define("DB_HOST", database.host)}
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );`;
  }
  return `// Database: SQLite through the SQLite Database Integration drop-in (wp-content/db.php).
define( 'DB_ENGINE', 'sqlite' );
define( 'DB_DIR', __DIR__ . '/wp-content/database/' );
define( 'DB_FILE', '.ht.sqlite' );
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', '' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );`;
}

/** wp-config.php for a local site (SQLite or MariaDB) that stays quiet offline. */
export function renderWpConfig(settings: WpConfigSettings): string {
  const gatewayHost = new URL(settings.gatewayUrl).hostname;
  return `<?php
/**
 * Local development site written by scripts/wordpress (Sluice). Rewritten on every
 * provision: change the options you pass to provisionWordPress, not this file.
 */

// The URL is fixed at provision time; ${siteUrlVariable} moves the site (another port).
$sluice_site_url = getenv( ${phpString(siteUrlVariable)} ) ?: ${phpString(settings.siteUrl)};
define( 'WP_HOME', $sluice_site_url );
define( 'WP_SITEURL', $sluice_site_url );

${databaseSection(settings.database ?? sqliteDatabase)}
$table_prefix = 'wp_';

// Keys and salts, random for this site.
${saltNames.map((name) => define(name, settings.salts[name])).join("\n")}

// Debugging: everything goes to the log file, nothing into pages.
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', __DIR__ . '/wp-content/debug.log' );
define( 'WP_DEBUG_DISPLAY', false );
@ini_set( 'display_errors', '0' );
define( 'WP_ENVIRONMENT_TYPE', 'local' );

// Offline: no calls out, no updates, no cron spawned by page loads.
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_ACCESSIBLE_HOSTS', ${phpString(gatewayHost)} );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_AUTO_UPDATE_CORE', false );
define( 'DISABLE_WP_CRON', true );

// Sluice plugin configuration.
${define("SLUICE_GATEWAY_URL", settings.gatewayUrl)}
${define("SLUICE_SITE_ID", settings.siteId)}
${define("SLUICE_SITE_SECRET", settings.siteSecret)}

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
`;
}
