import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import { openDatabase } from "../../server/ledger/db.ts";
import { openVault } from "../../server/ledger/kek.ts";
import { vaultSettings } from "../../server/services.ts";
import { ProviderKeyStore } from "../../server/vault/provider-keys.ts";
import { type RecordingUpstream, startRecordingUpstream } from "../support/recording-upstream.ts";
import {
  EXPECTED,
  KEYS,
  runSluice,
  SITES,
  type SiteGateway,
  seedVault,
  startSiteGateway,
  testEnv,
} from "../support/vault-fixture.ts";

/**
 * Scoped provider keys through a real gateway: a local OpenAI-style server
 * records the key each request came with, so the tests see which key served
 * which site's request.
 */
describe("provider keys scoped by site and environment", () => {
  let upstream: RecordingUpstream;
  let dir: string;
  let gateway: SiteGateway | undefined;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    dir = mkdtempSync(join(tmpdir(), "sluice-scopes-"));
    seedVault(dir);
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });
  afterAll(async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The key the upstream saw for one request of `site`. */
  const keyFor = async (site: (typeof SITES)[number]) => {
    const before = upstream.keys.length;
    const answer = await gateway?.ask(site);
    expect(answer?.status).toBe(200);
    expect(upstream.keys.length).toBe(before + 1);
    return upstream.keys.at(-1);
  };

  for (const environment of ["prod", "staging", "default"]) {
    it(`serves each site with the most specific key its scope allows (SLUICE_ENV=${environment})`, async () => {
      gateway = await startSiteGateway(dir, {
        SLUICE_ENV: environment,
        SLUICE_OPENAI_BASE_URL: upstream.baseUrl,
      });
      const seen: Record<string, string | undefined> = {};
      for (const site of SITES) seen[site] = await keyFor(site);
      expect(seen).toEqual(EXPECTED[environment]);
    });
  }

  it("never serves a site with a key scoped to another site or environment", async () => {
    gateway = await startSiteGateway(dir, {
      SLUICE_ENV: "prod",
      SLUICE_OPENAI_BASE_URL: upstream.baseUrl,
    });
    const before = upstream.keys.length;
    const connectionsBefore = upstream.connections;
    for (let round = 0; round < 5; round += 1) {
      for (const site of SITES) await gateway.ask(site, `round ${round}`);
    }
    // A client is built per call with the key opened for it, over one pool of connections.
    expect(upstream.connections - connectionsBefore).toBe(1);
    const used = new Set(upstream.keys.slice(before));
    // Scoped to staging, to blog alone, or shadowed by a more specific key in prod.
    for (const never of [KEYS.shopStaging, KEYS.blog, KEYS.everywhere]) {
      expect(used.has(never)).toBe(false);
    }
    expect(used).toEqual(new Set([KEYS.blogProd, KEYS.prod]));
  });

  it("refuses a site with no key in its scope, and lists no model of that provider to it", async () => {
    const lonely = mkdtempSync(join(tmpdir(), "sluice-scopes-lonely-"));
    try {
      seedVault(lonely);
      for (const flags of [[], ["--env", "prod"]]) {
        expect(runSluice(lonely, ["key", "remove", "openai", ...flags]).status).toBe(0);
      }
      gateway = await startSiteGateway(lonely, {
        SLUICE_ENV: "prod",
        SLUICE_OPENAI_BASE_URL: upstream.baseUrl,
      });
      const before = upstream.keys.length;
      const refused = await gateway.ask("news");
      expect(refused.status).toBe(503);
      expect(refused.body.error).toMatchObject({ code: "provider_not_configured" });
      // "auto" skips the provider the site has no key for (the demo answers).
      const auto = await gateway.ask("news", "Hello", "auto");
      expect(auto.status).toBe(200);
      expect(auto.body.provider).toBe("demo");
      expect(upstream.keys.length).toBe(before);
      const running = gateway;
      const providersOf = async (site: "blog" | "news") => {
        const models = (await running.get(site, "/v1/models")).body.data as { provider: string }[];
        return new Set(models.map((model) => model.provider));
      };
      expect(await providersOf("news")).toEqual(new Set(["demo"]));
      expect((await providersOf("blog")).has("openai")).toBe(true);
      expect(await gateway.ask("blog").then((answer) => answer.status)).toBe(200);
      expect(upstream.keys.at(-1)).toBe(KEYS.blogProd);
    } finally {
      await gateway?.close();
      gateway = undefined;
      rmSync(lonely, { recursive: true, force: true });
    }
  });

  it("warns about keys older than SLUICE_KEY_MAX_AGE_DAYS: counted in /healthz, each site's own on GET /v1/keys", async () => {
    const aged = mkdtempSync(join(tmpdir(), "sluice-scopes-aged-"));
    try {
      seedVault(aged);
      const config = loadConfig(testEnv(aged));
      const db = openDatabase(config.dbPath);
      const keys = new ProviderKeyStore(db, openVault(db, vaultSettings(config)));
      const fortyDaysAgo = Date.now() - 40 * 86_400_000;
      keys.set(
        { provider: "openai", siteId: "blog", environment: "prod" },
        KEYS.blogProd,
        fortyDaysAgo,
      );
      keys.set(
        { provider: "mistral", siteId: "shop", environment: null },
        "mistral-shop-0123",
        fortyDaysAgo,
      );
      db.close();
      gateway = await startSiteGateway(aged, { SLUICE_ENV: "prod", SLUICE_KEY_MAX_AGE_DAYS: "30" });

      const health = (await (await fetch(`${gateway.url}/healthz`)).json()) as Record<
        string,
        unknown
      >;
      expect(health.status).toBe("ok");
      // Keys usable in prod: every-scope, blog, prod, blog+prod, shop's mistral (not shop+staging).
      expect(health.provider_keys).toEqual({
        environment: "prod",
        max_age_days: 30,
        stored: 5,
        over_max_age: 2,
        oldest_age_days: 40,
        in_grace_period: 0,
      });
      expect(JSON.stringify(health)).not.toMatch(/blog|shop|sk-/);

      expect((await fetch(`${gateway.url}/v1/keys`)).status).toBe(401);
      const blog = await gateway.get("blog", "/v1/keys");
      expect(blog.status).toBe(200);
      expect(blog.body).toMatchObject({ environment: "prod", max_age_days: 30 });
      expect(blog.body.data).toEqual([
        {
          provider: "openai",
          source: "vault",
          scope: { site: "blog", environment: "prod" },
          set_at: new Date(fortyDaysAgo).toISOString(),
          age_days: 40,
          over_max_age: true,
          previous_usable_until: null,
        },
      ]);
      const shop = (await gateway.get("shop", "/v1/keys")).body.data as Record<string, unknown>[];
      expect(shop.map((key) => [key.provider, key.scope, key.over_max_age])).toEqual([
        ["openai", { site: null, environment: "prod" }, false],
        ["mistral", { site: "shop", environment: null }, true],
      ]);
    } finally {
      await gateway?.close();
      gateway = undefined;
      rmSync(aged, { recursive: true, force: true });
    }
  });

  it("lets an environment variable key serve every site, over every stored key", async () => {
    const fromEnvironment = "sk-from-the-environment-09";
    gateway = await startSiteGateway(dir, {
      SLUICE_ENV: "prod",
      SLUICE_OPENAI_BASE_URL: upstream.baseUrl,
      SLUICE_OPENAI_API_KEY: fromEnvironment,
    });
    for (const site of SITES) expect(await keyFor(site)).toBe(fromEnvironment);
  });

  it("rotates a key: new requests use the new one, a stream in flight finishes on the old", async () => {
    gateway = await startSiteGateway(dir, {
      SLUICE_ENV: "prod",
      SLUICE_OPENAI_BASE_URL: upstream.baseUrl,
    });
    const inFlight = gateway.ask("blog", "hold");
    await upstream.holding(1);
    expect(upstream.keys.at(-1)).toBe(KEYS.blogProd);

    const rotatedKey = "sk-blog-prod-rotated-0007";
    const rotated = runSluice(dir, ["key", "rotate", "openai", "--site", "blog", "--env", "prod"], {
      input: `${rotatedKey}\n`,
    });
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toMatch(/the key it replaced stays usable until .* \(300 s\)/);
    expect(`${rotated.stdout}${rotated.stderr}`).not.toContain(rotatedKey);

    expect(await keyFor("blog")).toBe(rotatedKey);
    upstream.release();
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect(finished.body).toMatchObject({ content: "Hello from upstream.", finish_reason: "stop" });
    // Other scopes are untouched.
    expect(await keyFor("shop")).toBe(KEYS.prod);
  });

  it("opens a call the provider refuses with the new key on the old one during its grace period, not after", async () => {
    gateway = await startSiteGateway(dir, {
      SLUICE_ENV: "staging",
      SLUICE_OPENAI_BASE_URL: upstream.baseUrl,
    });
    const notYetActive = "sk-shop-staging-inactive-08";
    upstream.refused.add(notYetActive);
    const rotated = runSluice(
      dir,
      ["key", "rotate", "openai", "--site", "shop", "--env", "staging", "--grace-s", "2"],
      { input: notYetActive },
    );
    expect(rotated.status).toBe(0);

    const before = upstream.keys.length;
    const answer = await gateway.ask("shop");
    expect(answer.status).toBe(200);
    expect(upstream.keys.slice(before)).toEqual([notYetActive, KEYS.shopStaging]);

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const after = upstream.keys.length;
    const refused = await gateway.ask("shop");
    expect(refused.status).toBe(502);
    expect(refused.body.error).toMatchObject({ code: "provider_auth" });
    expect(upstream.keys.slice(after)).toEqual([notYetActive]);
    const stored = gateway.services.db
      .prepare(
        "SELECT previous_sealed, previous_until FROM provider_keys WHERE site_id = 'shop' AND environment = 'staging'",
      )
      .get();
    expect(stored).toEqual({ previous_sealed: null, previous_until: null });
  });
});
