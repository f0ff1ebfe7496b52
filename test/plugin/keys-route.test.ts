import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServingKeys } from "../../contract/keys.ts";
import { startTestGateway, type TestGateway } from "../support/gateway.ts";
import { type PluginSite, startPluginSite } from "./support/site.ts";

// GET /wp-json/sluice/v1/keys: the admin screen's view of the provider keys the gateway
// serves the site with, through a real WordPress (php -S + SQLite) and a real gateway.

const KEY = "sk-stored-for-this-site-00000000000001";
const DAY_MS = 86_400_000;

let gateway: TestGateway;
let site: PluginSite;

beforeAll(async () => {
  gateway = await startTestGateway({ SLUICE_ENV: "prod", SLUICE_KEY_MAX_AGE_DAYS: "30" });
  site = await startPluginSite(gateway);
}, 120_000);

afterAll(async () => {
  await site?.stop();
  await gateway?.stop();
});

async function keysAsAdmin(): Promise<ServingKeys> {
  const response = await site.rest("/keys", { as: "admin" });
  expect(response.status).toBe(200);
  return (await response.json()) as ServingKeys;
}

describe("GET /sluice/v1/keys", () => {
  it("says the site has no key while only the demo answers", async () => {
    expect(await keysAsAdmin()).toEqual({
      object: "list",
      environment: "prod",
      max_age_days: 30,
      data: [],
    });
  });

  it("reports a stored key's scope and age, and flags it once it is older than the limit", async () => {
    const keys = gateway.services.providerKeys;
    keys.set({ provider: "openai", environment: "prod", siteId: gateway.siteId }, KEY);
    keys.set(
      { provider: "anthropic", environment: null, siteId: null },
      "sk-ant-everywhere-000000000000000001",
      Date.now() - 41 * DAY_MS,
    );
    const response = await site.rest("/keys", { as: "admin" });
    const text = await response.text();
    expect(text, "never a key").not.toContain(KEY);
    expect(text).not.toContain("sk-ant-");
    const report = JSON.parse(text) as ServingKeys;
    const byProvider = Object.fromEntries(report.data.map((key) => [key.provider, key]));
    expect(byProvider.openai).toMatchObject({
      source: "vault",
      scope: { site: gateway.siteId, environment: "prod" },
      age_days: 0,
      over_max_age: false,
      previous_usable_until: null,
    });
    expect(byProvider.anthropic).toMatchObject({
      source: "vault",
      scope: { site: null, environment: null },
      age_days: 41,
      over_max_age: true,
    });
  });

  it("is for admins only", async () => {
    const anonymous = await site.rest("/keys");
    expect(anonymous.status).toBe(401);
    const subscriber = await site.rest("/keys", { as: "subscriber" });
    expect(subscriber.status).toBe(403);
  });
});
