import type { GatewayConfig } from "../config.ts";
import type { ProviderKeyStore } from "../vault/provider-keys.ts";
import { createDemoAdapter } from "./demo/index.ts";
import type { AdapterFactory, ProviderAdapter, ProviderId, ProviderSettings } from "./types.ts";

const AWS_CREDENTIAL_VARIABLES = [
  "AWS_BEARER_TOKEN_BEDROCK",
  "AWS_ACCESS_KEY_ID",
  "AWS_PROFILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
];

/**
 * Builds one adapter per provider, on first use, from the configuration:
 * an environment variable key wins over a key stored in the vault.
 */
export class ProviderRegistry {
  readonly #config: GatewayConfig;
  readonly #keys: ProviderKeyStore;
  readonly #factories: Record<ProviderId, () => Promise<AdapterFactory>>;
  readonly #adapters = new Map<ProviderId, Promise<ProviderAdapter>>();

  constructor(config: GatewayConfig, keys: ProviderKeyStore) {
    this.#config = config;
    this.#keys = keys;
    // Each SDK is loaded on first use: a gateway that only talks to one
    // provider does not carry the others' code in memory.
    const demo = createDemoAdapter({ delayMs: config.demoDelayMs });
    this.#factories = {
      openai: async () => (await import("./openai/index.ts")).createAdapter,
      anthropic: async () => (await import("./anthropic/index.ts")).createAdapter,
      google: async () => (await import("./google/index.ts")).createAdapter,
      bedrock: async () => (await import("./bedrock/index.ts")).createAdapter,
      deepseek: async () => (await import("./deepseek/index.ts")).createAdapter,
      xai: async () => (await import("./xai/index.ts")).createAdapter,
      mistral: async () => (await import("./mistral/index.ts")).createAdapter,
      qwen: async () => (await import("./qwen/index.ts")).createAdapter,
      huggingface: async () => (await import("./huggingface/index.ts")).createAdapter,
      demo: async () => demo,
    };
  }

  settingsFor(id: ProviderId): ProviderSettings {
    const settings = { ...this.#config.providers[id] };
    if (!settings.apiKey && id !== "demo") {
      const stored = this.#keys.get(id);
      if (stored) settings.apiKey = stored;
    }
    return settings;
  }

  /** Whether this provider can be called: a key (or AWS credentials for Bedrock), or the demo. */
  isConfigured(id: ProviderId, env: NodeJS.ProcessEnv = process.env): boolean {
    if (id === "demo") return true;
    if (this.settingsFor(id).apiKey) return true;
    return id === "bedrock" && AWS_CREDENTIAL_VARIABLES.some((name) => Boolean(env[name]));
  }

  adapter(id: ProviderId): Promise<ProviderAdapter> {
    let adapter = this.#adapters.get(id);
    if (!adapter) {
      adapter = this.#factories[id]().then((factory) => factory(this.settingsFor(id)));
      this.#adapters.set(id, adapter);
    }
    return adapter;
  }
}
