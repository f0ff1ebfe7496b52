import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { defaultCacheDir } from "../paths.ts";
import type { NginxVariant } from "./nginx.ts";

/** Where the production stack lives unless told otherwise. */
export const defaultStackDir = path.join(defaultCacheDir, "wp-production");

/** Ports of the local production stack unless told otherwise (php -S uses 8881). */
export const defaultStackPorts = { nginx: 8891, phpFpm: 9891, mariadb: 3391 } as const;

/** The site's database and its user (the password is generated per stack). */
export const defaultDatabase = { name: "wordpress", user: "wordpress" } as const;

/** PHP-FPM's pm.max_children unless told otherwise: what many small hosts allow. */
export const defaultMaxChildren = 5;

/** Every file of one stack, each daemon's config, data, sockets, pids and logs apart. */
export interface StackLayout {
  root: string;
  /** WordPress: nginx's document root. */
  siteDir: string;
  /** nginx.conf, the served copy of docs/deploy/nginx.conf, php-fpm.conf. */
  confDir: string;
  /** MariaDB's datadir. */
  dataDir: string;
  /** Pid files, records, the MariaDB socket, nginx's temp folders. */
  runDir: string;
  logDir: string;
}

export function stackLayout(root: string): StackLayout {
  const resolved = path.resolve(root);
  return {
    root: resolved,
    siteDir: path.join(resolved, "site"),
    confDir: path.join(resolved, "conf"),
    dataDir: path.join(resolved, "mariadb"),
    runDir: path.join(resolved, "run"),
    logDir: path.join(resolved, "logs"),
  };
}

export function createLayout(layout: StackLayout): void {
  for (const dir of [layout.confDir, layout.dataDir, layout.runDir, layout.logDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
}

/** What a provision decided for the stack; start reads it (and may override the ports). */
export interface StackSettings {
  ports: { nginx: number; phpFpm: number; mariadb: number };
  maxChildren: number;
  nginxVariant: NginxVariant;
  database: { name: string; user: string; password: string };
}

function settingsFile(layout: StackLayout): string {
  return path.join(layout.root, "stack.json");
}

export function readStackSettings(layout: StackLayout): StackSettings | undefined {
  const file = settingsFile(layout);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as StackSettings;
}

export function writeStackSettings(layout: StackLayout, settings: StackSettings): void {
  const file = settingsFile(layout);
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** What `start` runs with (its options may differ from the provisioned settings). */
function startedFile(layout: StackLayout): string {
  return path.join(layout.runDir, "started.json");
}

export function writeStartedSettings(layout: StackLayout, settings: StackSettings): void {
  writeFileSync(startedFile(layout), `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
}

export function readStartedSettings(layout: StackLayout): StackSettings | undefined {
  const file = startedFile(layout);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as StackSettings) : undefined;
}

export function newDatabasePassword(): string {
  return randomBytes(18).toString("base64url");
}
