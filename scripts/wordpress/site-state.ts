import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { privateDir } from "./paths.ts";
import type { DatabaseSettings, Salts } from "./wp-config.ts";

/** What a provision decided, kept in the site's private folder (it holds secrets). */
export interface SiteState {
  siteUrl: string;
  adminUser: string;
  adminPassword: string;
  adminEmail: string;
  salts: Salts;
  gatewayUrl: string;
  siteId: string;
  siteSecret: string;
  pageUrl: string;
  wordPressVersion: string;
  pluginFile: string | null;
  /** Absent in sites provisioned before it existed: SQLite. */
  database?: DatabaseSettings;
}

function stateFile(siteDir: string): string {
  return path.join(privateDir(siteDir), "site.json");
}

export function readSiteState(siteDir: string): SiteState | undefined {
  const file = stateFile(siteDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as SiteState;
}

export function writeSiteState(siteDir: string, state: SiteState): void {
  mkdirSync(privateDir(siteDir), { recursive: true, mode: 0o700 });
  const file = stateFile(siteDir);
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
