import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../server/config.ts";
import { signedHeaders } from "../../server/http/signature.ts";
import { openDatabase } from "../../server/ledger/db.ts";
import { openVault } from "../../server/ledger/kek.ts";
import { SiteStore } from "../../server/ledger/sites.ts";
import { type RunningGateway, startGateway } from "../../server/serve.ts";
import { vaultSettings } from "../../server/services.ts";
import { type KeyScope, ProviderKeyStore } from "../../server/vault/provider-keys.ts";

/**
 * A vault with keys for three sites and two environments (prod, staging), as
 * the scope and KEK rotation tests use it, and what each site must be served
 * with in each environment.
 */
export const SITES = ["blog", "shop", "news"] as const;
export type SiteId = (typeof SITES)[number];

export const SITE_SECRETS: Record<SiteId, string> = {
  blog: "blog-site-secret-0123456789abcdefghijklmn",
  shop: "shop-site-secret-0123456789abcdefghijklmn",
  news: "news-site-secret-0123456789abcdefghijklmn",
};

/** One OpenAI key per scope: every site and environment, a site, an environment, both. */
export const KEYS = {
  everywhere: "sk-everywhere-000000000001",
  blog: "sk-blog-every-env-00000002",
  prod: "sk-prod-every-site-0000003",
  blogProd: "sk-blog-prod-0000000000004",
  shopStaging: "sk-shop-staging-0000000005",
} as const;

const SCOPED_KEYS: [Omit<KeyScope, "provider">, string][] = [
  [{ siteId: null, environment: null }, KEYS.everywhere],
  [{ siteId: "blog", environment: null }, KEYS.blog],
  [{ siteId: null, environment: "prod" }, KEYS.prod],
  [{ siteId: "blog", environment: "prod" }, KEYS.blogProd],
  [{ siteId: "shop", environment: "staging" }, KEYS.shopStaging],
];

/** The most specific key each site's scope allows: site+env > site > env > every. */
export const EXPECTED: Record<string, Record<SiteId, string>> = {
  prod: { blog: KEYS.blogProd, shop: KEYS.prod, news: KEYS.prod },
  staging: { blog: KEYS.blog, shop: KEYS.shopStaging, news: KEYS.everywhere },
  default: { blog: KEYS.blog, shop: KEYS.everywhere, news: KEYS.everywhere },
};

/** Configuration as a test gateway (or CLI) on `dir` reads it. */
export function testEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { SLUICE_PORT: "0", SLUICE_DATA_DIR: dir, SLUICE_LOG_LEVEL: "silent", ...extra };
}

/** Adds the three sites and every scoped key to the vault in `dir`. */
export function seedVault(dir: string, env: Record<string, string> = {}): void {
  const config = loadConfig(testEnv(dir, env));
  const db = openDatabase(config.dbPath);
  try {
    const vault = openVault(db, vaultSettings(config));
    const sites = new SiteStore(db, vault);
    for (const site of SITES) sites.add(site, SITE_SECRETS[site]);
    const keys = new ProviderKeyStore(db, vault);
    for (const [scope, key] of SCOPED_KEYS) keys.set({ provider: "openai", ...scope }, key);
  } finally {
    db.close();
  }
}

/** Every stored secret, opened: the sites' secrets, then each scope's key. */
export function storedSecrets(dir: string, env: Record<string, string> = {}): string[] {
  const config = loadConfig(testEnv(dir, env));
  const db = openDatabase(config.dbPath);
  try {
    const vault = openVault(db, vaultSettings(config));
    const sites = new SiteStore(db, vault);
    const keys = new ProviderKeyStore(db, vault);
    return [
      ...SITES.map((site) => sites.secretFor(site) ?? "missing"),
      ...keys.list().map((entry) => {
        const resolved = keys.resolve(
          entry.provider,
          entry.environment ?? "any-environment",
          entry.siteId ?? undefined,
        );
        return resolved && sameScope(resolved.scope, entry) ? resolved.key : "unresolved";
      }),
    ];
  } finally {
    db.close();
  }
}

function sameScope(a: KeyScope, b: KeyScope): boolean {
  return a.provider === b.provider && a.environment === b.environment && a.siteId === b.siteId;
}

export interface SiteGateway extends RunningGateway {
  /** A signed buffered chat from `site` to `model`; its status and body. */
  ask(site: SiteId, text?: string, model?: string): Promise<{ status: number; body: Json }>;
  /** A signed GET from `site`; its status and body. */
  get(site: SiteId, path: string): Promise<{ status: number; body: Json }>;
}

type Json = Record<string, unknown>;

/** A real gateway on `dir`'s database and vault. */
export async function startSiteGateway(
  dir: string,
  env: Record<string, string>,
): Promise<SiteGateway> {
  const gateway = await startGateway(loadConfig(testEnv(dir, env)));
  const signed = async (site: SiteId, method: string, path: string, body = "") => {
    const headers = signedHeaders({ siteId: site, secret: SITE_SECRETS[site], method, path, body });
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { "Content-Type": "application/json", ...headers },
      ...(method === "GET" ? {} : { body }),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };
  return {
    ...gateway,
    ask: (site, text = "Hello", model = "openai/gpt-4o-mini") =>
      signed(
        site,
        "POST",
        "/v1/chat",
        JSON.stringify({ messages: [{ role: "user", content: text }], model, stream: false }),
      ),
    get: (site, path) => signed(site, "GET", path),
  };
}

const BIN = fileURLToPath(new URL("../../bin/sluice.js", import.meta.url));

/** Runs `sluice …` in its own process on `dir`, with only the SLUICE_* variables given. */
export function runSluice(
  dir: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
) {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("SLUICE_")) env[name] = value;
  }
  Object.assign(env, { SLUICE_DATA_DIR: dir, ...options.env });
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env,
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return {
    status: result.status,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}
